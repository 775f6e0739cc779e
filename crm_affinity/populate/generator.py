"""Deterministic seeded dataset for the demo, the tests and the benchmark.

``generate(env, size="small", seed=42)`` fills a database with customers, leads, sale orders, invoices,
consents, important dates, affinity files and marketing spend. The same seed and anchor date give the
same data. Bulk tables are written with PostgreSQL COPY and ids reserved from their sequences, so the
``large`` set (100 000 customers, ~1 000 000 order lines) builds in minutes.
"""

import datetime
import io
import logging
import random
import time
import unicodedata

import psycopg2

from odoo import fields
from odoo.tools import SQL

from ..models.affinity_date import next_occurrence

_logger = logging.getLogger(__name__)

SIZES = {
    "small": {"customers": 500, "prospect_leads": 350, "extra_opportunities": 150},
    "medium": {"customers": 10_000, "prospect_leads": 6_000, "extra_opportunities": 4_000},
    "large": {"customers": 100_000, "prospect_leads": 60_000, "extra_opportunities": 40_000},
}
YEARS = 3

TR_FEMALE = [
    "Ayşe",
    "Fatma",
    "Emine",
    "Hatice",
    "Zeynep",
    "Elif",
    "Meryem",
    "Zehra",
    "Selin",
    "Ece",
    "Büşra",
    "Derya",
    "Gül",
    "Songül",
    "Nur",
]
TR_MALE = [
    "Mehmet",
    "Mustafa",
    "Ahmet",
    "Ali",
    "Hüseyin",
    "Hasan",
    "İbrahim",
    "Osman",
    "Yusuf",
    "Murat",
    "Ömer",
    "Burak",
    "Emre",
    "Cem",
    "Gökhan",
]
TR_LAST = [
    "Yılmaz",
    "Kaya",
    "Demir",
    "Şahin",
    "Çelik",
    "Yıldız",
    "Yıldırım",
    "Öztürk",
    "Aydın",
    "Özdemir",
    "Arslan",
    "Doğan",
    "Kılıç",
    "Aslan",
    "Çetin",
    "Kara",
    "Koç",
    "Kurt",
    "Özkan",
    "Şimşek",
]
INT_FEMALE = ["Anna", "Maria", "Sophie", "Emma", "Lea", "Olivia", "Chiara", "Ingrid", "Julia", "Nora"]
INT_MALE = ["John", "Luca", "Pierre", "Jan", "Oliver", "Lukas", "Carlos", "Tom", "Henrik", "David"]
INT_LAST = [
    "Müller",
    "Smith",
    "García",
    "Rossi",
    "Martin",
    "Kowalski",
    "Johnson",
    "Brown",
    "Schneider",
    "Dubois",
    "Jansen",
    "Novak",
]
COMPANY_KINDS = [
    "Tekstil A.Ş.",
    "Gıda Ltd. Şti.",
    "Lojistik A.Ş.",
    "Mimarlık",
    "Yazılım A.Ş.",
    "Otomotiv Ltd. Şti.",
    "Turizm A.Ş.",
]
INT_COMPANY_KINDS = ["GmbH", "Ltd", "SARL", "S.p.A.", "B.V."]
TR_CITIES = [
    ("İstanbul", "34"),
    ("Ankara", "06"),
    ("İzmir", "35"),
    ("Bursa", "16"),
    ("Antalya", "07"),
    ("Konya", "42"),
    ("Adana", "01"),
    ("Gaziantep", "27"),
    ("Eskişehir", "26"),
    ("Trabzon", "61"),
]
INT_CITIES = [
    ("Berlin", "de", "Europe/Berlin", "+49 151"),
    ("London", "uk", "Europe/London", "+44 7700"),
    ("Paris", "fr", "Europe/Paris", "+33 6"),
    ("Madrid", "es", "Europe/Madrid", "+34 612"),
    ("Amsterdam", "nl", "Europe/Amsterdam", "+31 6"),
    ("New York", "us", "America/New_York", "+1 212"),
]
STREETS = [
    "Atatürk Cd.",
    "Cumhuriyet Cd.",
    "İstiklal Cd.",
    "Bağdat Cd.",
    "Gazi Blv.",
    "Main Street",
    "Kurfürstendamm",
    "Rue de Rivoli",
    "Gran Vía",
    "Keizersgracht",
]

# name, medium, share of customers, spend per new customer (CAC), order frequency factor, basket factor
SOURCES = [
    ("Google Ads", "cpc", 0.22, 45.0, 1.0, 1.0),
    ("Instagram", "social", 0.18, 30.0, 0.7, 0.7),
    ("Referral", "referral", 0.14, 8.0, 1.5, 1.3),
    ("Trade fair", "event", 0.08, 160.0, 1.4, 2.2),
    ("Newspaper banner", "banner", 0.06, 120.0, 0.8, 0.9),
    ("Website", "organic", 0.20, 5.0, 1.1, 1.0),
    ("Cold call", "phone", 0.12, 70.0, 0.9, 1.2),
]
PRODUCTS = [
    ("Espresso machine", 420.0, 260.0),
    ("Coffee beans 1 kg", 28.0, 14.0),
    ("Turkish tea set", 65.0, 30.0),
    ("Copper cezve", 24.0, 9.0),
    ("Porcelain cups (6)", 48.0, 20.0),
    ("Milk frother", 55.0, 25.0),
    ("Grinder", 140.0, 80.0),
    ("Descaler", 12.0, 4.0),
    ("Barista course", 180.0, 60.0),
    ("Maintenance plan", 95.0, 35.0),
    ("Gift box", 38.0, 18.0),
    ("Office coffee subscription", 240.0, 150.0),
]
LIKES = [
    ("flowers", "like", "Daisies"),
    ("flowers", "never", "Roses"),
    ("food", "like", "Seaside fish restaurant"),
    ("food", "like", "Country café breakfast"),
    ("food", "dislike", "Spicy food"),
    ("topic", "like", "Football"),
    ("topic", "never", "Politics"),
    ("brand", "like", "Handmade ceramics"),
    ("place", "like", "Bosphorus view"),
    ("gift", "like", "Books"),
    ("gift", "dislike", "Chocolate"),
    ("other", "like", "Jazz"),
]
GIFTS = [("Bouquet of daisies", 25.0), ("Coffee gift box", 38.0), ("Book", 20.0), ("Ceramic mug", 15.0)]


def ascii_slug(text):
    text = text.replace("ı", "i").replace("İ", "I")
    return "".join(c for c in unicodedata.normalize("NFKD", text) if c.isalnum() and ord(c) < 128).lower()


def copy_escape(value):
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    text = str(value)
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


class Generator:
    """One run of the seeded generator; ``run()`` returns the counts it wrote."""

    def __init__(self, env, size="small", seed=42, today=None, setup_company=False):
        if size not in SIZES:
            raise ValueError(f"unknown size {size!r}: one of {', '.join(SIZES)}")
        self.env = env
        self.cr = env.cr
        self.size = size
        self.params = SIZES[size]
        self.rng = random.Random(seed)
        self.rng_seed = seed
        self.today = today or fields.Date.context_today(env["res.partner"])
        self.start = self.today - datetime.timedelta(days=365 * YEARS)
        self.setup_company = setup_company
        self.company = env.company
        self.counts = {}
        self.timings = {}
        self.pending = []
        self.now = fields.Datetime.now()

    # ------------------------------------------------------------------
    # helpers
    # ------------------------------------------------------------------

    def reserve_ids(self, table, count):
        if not count:
            return []
        rows = self.env.execute_query(
            SQL("SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)", table, count)
        )
        return [row[0] for row in rows]

    def bulk_copy(self, table, columns, rows):
        """Queue rows for COPY; ``flush_copies`` writes the queue in the order it was filled."""
        self.pending.append((table, columns, rows))

    def flush_copies(self):
        # Foreign-key checks are planned once per session: planned while a table was nearly empty (the ORM
        # created users and products earlier in this session) they scan it for every new row, quadratic
        # over a bulk load. The rows written here reference only ids reserved or read above, so where the
        # role may, the checks are skipped for the load; elsewhere they are kept on the index.
        try:
            with self.cr.savepoint(flush=False):
                self.cr.execute(SQL("SET LOCAL session_replication_role = replica"))
            replica = True
        except psycopg2.Error:
            replica = False
        self.cr.execute(SQL("SET LOCAL enable_seqscan = off"))
        for table, columns, rows in self.pending:
            started = time.monotonic()
            total = 0
            chunk = []
            for row in rows:
                chunk.append("\t".join(copy_escape(value) for value in row))
                if len(chunk) >= 50_000:
                    total += self._copy_chunk(table, columns, chunk)
                    chunk = []
            if chunk:
                total += self._copy_chunk(table, columns, chunk)
            self.counts[table] = self.counts.get(table, 0) + total
            # Fresh statistics, so later statements on this table get sane plans.
            self.cr.execute(SQL("ANALYZE %s", SQL.identifier(table)))
            _logger.info(
                "generator %s: %s rows into %s in %.1f s", self.size, total, table, time.monotonic() - started
            )
        self.pending = []
        self.cr.execute(SQL("SET LOCAL enable_seqscan = on"))
        if replica:
            self.cr.execute(SQL("SET LOCAL session_replication_role = origin"))

    def _copy_chunk(self, table, columns, chunk):
        buffer = io.StringIO("\n".join(chunk) + "\n")
        self.cr.copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN", buffer)
        return len(chunk)

    def random_date(self, start, end):
        span = (end - start).days
        return start + datetime.timedelta(days=self.rng.randint(0, max(span, 0)))

    def random_datetime(self, day, hour_from=9, hour_to=19):
        return datetime.datetime.combine(
            day, datetime.time(self.rng.randint(hour_from, hour_to - 1), self.rng.randint(0, 59))
        )

    # ------------------------------------------------------------------
    # reference data (ORM: a few dozen records)
    # ------------------------------------------------------------------

    def ensure_company(self):
        if not self.setup_company:
            return
        turkey = self.env.ref("base.tr")
        lira = self.env.ref("base.TRY")
        lira.active = True
        self.company.write({"name": "Affinity Demo A.Ş.", "country_id": turkey.id, "city": "İstanbul"})
        if self.company.currency_id != lira and not self.env["account.move.line"].search_count([], limit=1):
            self.company.currency_id = lira
        self.env["product.pricelist"].search(
            [("company_id", "in", (False, self.company.id))]
        ).currency_id = lira
        # What serving a customer costs the demo company, in lira: cost to serve has something to count.
        self.company.affinity_complaint_cost = 250.0
        for xmlid, cost in (
            ("mail.mail_activity_data_call", 40.0),
            ("mail.mail_activity_data_meeting", 150.0),
        ):
            activity_type = self.env.ref(xmlid, raise_if_not_found=False)
            if activity_type:
                activity_type.affinity_unit_cost = cost

    def ensure_reference_data(self):
        Source, Medium, Campaign = (self.env[m] for m in ("utm.source", "utm.medium", "utm.campaign"))
        self.sources = []
        for name, medium_name, share, cac, freq, basket in SOURCES:
            source = Source.search([("name", "=", name)], limit=1) or Source.create({"name": name})
            medium = Medium.search([("name", "=", medium_name)], limit=1) or Medium.create(
                {"name": medium_name}
            )
            campaigns = []
            for year in range(self.start.year, self.today.year + 1):
                campaign_name = f"{name} {year}"
                campaign = Campaign.search([("name", "=", campaign_name)], limit=1) or Campaign.create(
                    {"name": campaign_name}
                )
                campaigns.append((year, campaign.id))
            self.sources.append(
                {
                    "source": source.id,
                    "medium": medium.id,
                    "campaigns": dict(campaigns),
                    "share": share,
                    "cac": cac,
                    "freq": freq,
                    "basket": basket,
                    "name": name,
                }
            )
        self.source_weights = [s["share"] for s in self.sources]

        users = self.env["res.users"].with_context(active_test=False)
        self.salespeople = []
        for login, name in [
            ("ayse.satis", "Ayşe Satış"),
            ("mehmet.satis", "Mehmet Satış"),
            ("elif.satis", "Elif Satış"),
            ("john.sales", "John Sales"),
        ]:
            user = users.search([("login", "=", login)], limit=1) or users.with_context(
                no_reset_password=True, tracking_disable=True
            ).create(
                {
                    "name": name,
                    "login": login,
                    "email": f"{login}@example.com",
                    "groups_id": [
                        (
                            6,
                            0,
                            [
                                self.env.ref("sales_team.group_sale_salesman").id,
                                self.env.ref("crm_affinity.group_affinity_user").id,
                            ],
                        )
                    ],
                }
            )
            self.salespeople.append(user.id)
        self.team = self.env["crm.team"].search([], limit=1).id or None

        self.products = []
        Product = self.env["product.product"].with_context(tracking_disable=True)
        for name, price, cost in PRODUCTS:
            product = Product.search([("name", "=", name)], limit=1) or Product.create(
                {"name": name, "list_price": price, "standard_price": cost, "type": "consu", "sale_ok": True}
            )
            self.products.append((product.id, product.uom_id.id, name, price))

        stages = self.env["crm.stage"].search([])
        self.won_stage = stages.filtered("is_won")[:1].id
        self.open_stages = stages.filtered(lambda s: not s.is_won).ids
        self.countries = {
            code: self.env.ref(f"base.{code}").id for code in ("tr", "de", "uk", "fr", "es", "nl", "us")
        }
        self.warehouse = (
            self.env["stock.warehouse"].search([("company_id", "=", self.company.id)], limit=1).id or None
        )
        self.pricelist = (
            self.env["product.pricelist"].search([("company_id", "in", (False, self.company.id))], limit=1).id
            or None
        )
        self.currency = self.company.currency_id.id
        installed = {code for code, _name in self.env["res.lang"].get_installed()}
        self.lang_tr = "tr_TR" if "tr_TR" in installed else "en_US"
        self.categories = {c.code: c.id for c in self.env["affinity.preference.category"].search([])}
        kinds = self.env["affinity.date.kind"].search([])
        self.kinds = {kind.code: kind.id for kind in kinds}
        self.kind_names = {kind.id: kind.with_context(lang="en_US").name for kind in kinds}
        self.channels = {c.code: c.id for c in self.env["affinity.channel"].search([])}
        self.purposes = {p.code: p.id for p in self.env["affinity.purpose"].search([])}
        journal = self.env["account.journal"].search(
            [("type", "=", "sale"), ("company_id", "=", self.company.id)], limit=1
        )
        self.journal = journal.id
        self.journal_code = journal.code or "INV"
        self.receivable = (
            self.env["account.account"]
            .search(
                [("account_type", "=", "asset_receivable"), ("company_ids", "in", self.company.id)], limit=1
            )
            .id
        )
        self.income = (
            journal.default_account_id.id
            or self.env["account.account"]
            .search([("account_type", "=", "income"), ("company_ids", "in", self.company.id)], limit=1)
            .id
        )

    # ------------------------------------------------------------------
    # customers
    # ------------------------------------------------------------------

    def make_customers(self):
        count = self.params["customers"]
        ids = self.reserve_ids("res_partner", count)
        self.customers = []
        rows = []
        for index, partner_id in enumerate(ids):
            rng = self.rng
            turkish = rng.random() < 0.7
            is_company = rng.random() < 0.15
            female = rng.random() < 0.5
            if turkish:
                first = rng.choice(TR_FEMALE if female else TR_MALE)
                last = rng.choice(TR_LAST)
                city, plate = rng.choice(TR_CITIES)
                country, tz = self.countries["tr"], "Europe/Istanbul"
                phone_prefix = f"+90 5{rng.randint(30, 59)}"
                zip_code = f"{plate}{rng.randint(100, 999)}"
                salutation = f"{first} {'Hanım' if female else 'Bey'}"
            else:
                first = rng.choice(INT_FEMALE if female else INT_MALE)
                last = rng.choice(INT_LAST)
                city, code, tz, phone_prefix = rng.choice(INT_CITIES)
                country = self.countries[code]
                zip_code = str(rng.randint(10000, 99999))
                salutation = rng.choice([f"{'Ms' if female else 'Mr'} {last}", f"Dr. {last}", first])
            if is_company:
                name = f"{last} {rng.choice(COMPANY_KINDS if turkish else INT_COMPANY_KINDS)}"
            else:
                name = f"{first} {last}"
            email = (
                f"{ascii_slug(first)}.{ascii_slug(last)}{index}@example.{rng.choice(['com', 'org', 'net'])}"
            )
            mobile = f"{phone_prefix} {rng.randint(100, 999)} {rng.randint(10, 99)} {rng.randint(10, 99)}"
            phone = mobile if rng.random() < 0.3 else None
            acquired = self.random_date(self.start, self.today - datetime.timedelta(days=7))
            source_index = rng.choices(range(len(self.sources)), weights=self.source_weights)[0]
            salesperson = rng.choice(self.salespeople)
            profile = rng.random()
            customer = {
                "id": partner_id,
                "name": name,
                "acquired": acquired,
                "source": source_index,
                "turkish": turkish,
                "is_company": is_company,
                "salesperson": salesperson,
                "loyal": profile < 0.2,
                "one_off": profile > 0.6,
                "deal_seeker": rng.random() < 0.06,
                "late_payer": rng.random() < 0.08,
                "email": email,
                "salutation": salutation,
                "cadence": rng.choice([0, 0, 0, 30, 60, 90]),
                "first": first,
            }
            if self.sources[source_index]["name"] == "Referral" and self.customers:
                customer["referred_by"] = rng.choice(self.customers)["id"]
            self.customers.append(customer)
            created = self.random_datetime(acquired)
            rows.append(
                (
                    partner_id,
                    name,
                    name,
                    "contact",
                    is_company,
                    True,
                    self.lang_tr if turkish else "en_US",
                    tz,
                    email,
                    email.lower(),
                    phone,
                    mobile,
                    f"{rng.choice(STREETS)} {rng.randint(1, 250)}",
                    city,
                    zip_code,
                    country,
                    1,
                    partner_id,
                    salesperson,
                    "ask",
                    True,
                    created,
                    created,
                    1,
                    1,
                    salesperson if rng.random() < 0.6 else None,
                    customer["cadence"],
                    rng.random() < 0.01,
                )
            )
        self.bulk_copy(
            "res_partner",
            [
                "id",
                "name",
                "complete_name",
                "type",
                "is_company",
                "active",
                "lang",
                "tz",
                "email",
                "email_normalized",
                "phone",
                "mobile",
                "street",
                "city",
                "zip",
                "country_id",
                "customer_rank",
                "commercial_partner_id",
                "user_id",
                "autopost_bills",
                "partner_share",
                "create_date",
                "write_date",
                "create_uid",
                "write_uid",
                "affinity_owner_id",
                "affinity_cadence_days",
                "affinity_do_not_contact",
                "affinity_next_date",
                "affinity_next_date_label",
                "affinity_last_interaction",
                "affinity_next_contact_due",
                "affinity_source_id",
                "affinity_medium_id",
                "affinity_campaign_id",
                "affinity_acquired_on",
                "affinity_referred_by_id",
            ],
            self.partner_rows(rows),
        )

    def partner_rows(self, rows):
        """Partner rows completed with what dates and sales planned (read lazily at flush time)."""
        for row, customer in zip(rows, self.customers, strict=True):
            last = customer.get("last")
            cadence = customer["cadence"]
            source = self.sources[customer["source"]]
            yield (
                *row,
                customer.get("next_date"),
                customer.get("next_label"),
                last,
                last.date() + datetime.timedelta(days=cadence) if last and cadence else None,
                source["source"],
                source["medium"],
                self.campaign_for(source, customer["acquired"]),
                customer["acquired"],
                customer.get("referred_by"),
            )

    # ------------------------------------------------------------------
    # the information file
    # ------------------------------------------------------------------

    def make_affinity_files(self):
        rng = self.rng
        profiles, prefs, gifts, dates = [], [], [], []
        for customer in self.customers:
            pid = customer["id"]
            if rng.random() < 0.5:
                opener = f"<p>Asked about {rng.choice(['her garden', 'his new shop', 'the kids', 'the trip to Kapadokya'])}.</p>"
                profiles.append(
                    (
                        pid,
                        customer["salutation"],
                        customer["first"] if rng.random() < 0.2 else None,
                        opener,
                        None,
                    )
                )
            if rng.random() < 0.3:
                for category, polarity, text in rng.sample(LIKES, rng.randint(1, 3)):
                    prefs.append((pid, self.categories[category], polarity, text))
            if rng.random() < 0.1:
                gift, cost = rng.choice(GIFTS)
                gifts.append(
                    (
                        pid,
                        self.random_date(customer["acquired"], self.today),
                        "New year",
                        gift,
                        cost,
                        self.currency,
                        rng.choice(["loved", "fine", "disliked"]),
                        self.categories["gift"],
                    )
                )
            if not customer["is_company"] and rng.random() < 0.7:
                year = rng.randint(1950, 2003) if rng.random() < 0.6 else None
                month, day = rng.randint(1, 12), rng.randint(1, 28)
                if rng.random() < 0.004:
                    month, day, year = 2, 29, rng.choice([1960, 1972, 1984, 1996, 2000])
                dates.append(
                    (
                        pid,
                        self.kinds["birthday"],
                        None,
                        day,
                        str(month),
                        year,
                        True,
                        3,
                        next_occurrence(day, month, year, True, self.today),
                    )
                )
            if not customer["is_company"] and rng.random() < 0.2:
                year = rng.randint(1980, 2020)
                month, day = rng.randint(1, 12), rng.randint(1, 28)
                dates.append(
                    (
                        pid,
                        self.kinds["wedding"],
                        None,
                        day,
                        str(month),
                        year,
                        True,
                        3,
                        next_occurrence(day, month, year, True, self.today),
                    )
                )
            if rng.random() < 0.3:
                acquired = customer["acquired"]
                dates.append(
                    (
                        pid,
                        self.kinds["customer_since"],
                        None,
                        acquired.day,
                        str(acquired.month),
                        acquired.year,
                        True,
                        7,
                        next_occurrence(acquired.day, acquired.month, acquired.year, True, self.today),
                    )
                )
        self.bulk_copy(
            "affinity_profile",
            ["partner_id", "salutation", "nickname", "conversation_openers", "notes"],
            profiles,
        )
        self.bulk_copy("affinity_preference", ["partner_id", "category_id", "polarity", "name"], prefs)
        self.bulk_copy(
            "affinity_gift",
            ["partner_id", "date", "occasion", "name", "cost", "currency_id", "reaction", "category_id"],
            gifts,
        )
        self.bulk_copy(
            "affinity_date",
            ["partner_id", "kind_id", "name", "day", "month", "year", "recurring", "lead_days", "next_date"],
            dates,
        )
        by_id = {customer["id"]: customer for customer in self.customers}
        for partner_id, kind_id, name, _day, _month, _year, _recurring, _lead, next_date in dates:
            customer = by_id[partner_id]
            if next_date and (not customer.get("next_date") or next_date < customer["next_date"]):
                customer["next_date"] = next_date
                customer["next_label"] = name or self.kind_names[kind_id]

    # ------------------------------------------------------------------
    # consents
    # ------------------------------------------------------------------

    def make_consents(self):
        rng = self.rng
        consents = []
        for customer in self.customers:
            for channel, share in (("email", 0.6), ("sms", 0.4), ("phone", 0.15)):
                if rng.random() >= share:
                    continue
                state = "granted" if rng.random() < 0.75 else "denied"
                given = self.random_datetime(customer["acquired"])
                source = rng.choice(["web_form", "paper", "call_centre", "event", "iys"])
                consents.append(
                    (
                        customer["id"],
                        self.channels[channel],
                        self.purposes["marketing"],
                        state,
                        "consent",
                        given,
                        source,
                        f"DOC-{customer['id']}-{channel}",
                        1,
                        given,
                        given,
                    )
                )
            if rng.random() < 0.2:
                given = self.random_datetime(customer["acquired"])
                consents.append(
                    (
                        customer["id"],
                        self.channels["email"],
                        self.purposes["relationship"],
                        "granted",
                        "consent",
                        given,
                        "web_form",
                        None,
                        1,
                        given,
                        given,
                    )
                )
        ids = self.reserve_ids("affinity_consent", len(consents))
        names = {customer["id"]: (customer["name"], customer["email"]) for customer in self.customers}
        self.bulk_copy(
            "affinity_consent",
            [
                "id",
                "partner_id",
                "channel_id",
                "purpose_id",
                "state",
                "legal_basis",
                "date_given",
                "source",
                "proof_ref",
                "recorded_by_id",
                "create_date",
                "write_date",
            ],
            [(cid, *row) for cid, row in zip(ids, consents, strict=True)],
        )
        self.bulk_copy(
            "affinity_consent_log",
            [
                "consent_id",
                "partner_id",
                "partner_name",
                "partner_address",
                "channel_id",
                "purpose_id",
                "new_state",
                "legal_basis",
                "source",
                "proof_ref",
                "consent_date",
                "user_id",
                "create_date",
                "create_uid",
            ],
            [
                (
                    cid,
                    row[0],
                    names[row[0]][0],
                    names[row[0]][1],
                    row[1],
                    row[2],
                    row[3],
                    row[4],
                    row[6],
                    row[7],
                    row[5],
                    1,
                    row[5],
                    1,
                )
                for cid, row in zip(ids, consents, strict=True)
            ],
        )

    # ------------------------------------------------------------------
    # leads and opportunities
    # ------------------------------------------------------------------

    def campaign_for(self, source, day):
        return source["campaigns"].get(day.year)

    def make_leads(self):
        rng = self.rng
        rows = []
        ids = self.reserve_ids(
            "crm_lead",
            len(self.customers) + self.params["prospect_leads"] + self.params["extra_opportunities"],
        )
        id_iter = iter(ids)
        for customer in self.customers:
            lead_id = next(id_iter)
            customer["lead_id"] = lead_id
            source = self.sources[customer["source"]]
            opened = self.random_datetime(customer["acquired"] - datetime.timedelta(days=rng.randint(1, 45)))
            won = self.random_datetime(customer["acquired"])
            customer["last"] = won
            rows.append(
                (
                    lead_id,
                    f"{customer['name']} – first order",
                    "opportunity",
                    customer["id"],
                    customer["name"],
                    customer["email"],
                    self.won_stage,
                    100.0,
                    True,
                    customer["salesperson"],
                    self.team,
                    self.company.id,
                    source["source"],
                    source["medium"],
                    self.campaign_for(source, customer["acquired"]),
                    opened,
                    opened,
                    won,
                    won,
                    rng.randint(100, 2000),
                    "0",
                )
            )
        for _index in range(self.params["extra_opportunities"]):
            customer = rng.choice(self.customers)
            source = self.sources[customer["source"]]
            opened = self.random_datetime(self.random_date(customer["acquired"], self.today))
            lost = rng.random() < 0.6
            rows.append(
                (
                    next(id_iter),
                    f"{customer['name']} – new need",
                    "opportunity",
                    customer["id"],
                    customer["name"],
                    customer["email"],
                    rng.choice(self.open_stages),
                    0.0 if lost else 30.0,
                    not lost,
                    customer["salesperson"],
                    self.team,
                    self.company.id,
                    source["source"],
                    source["medium"],
                    self.campaign_for(source, opened.date()),
                    opened,
                    opened,
                    opened if lost else None,
                    opened,
                    rng.randint(100, 3000),
                    "1",
                )
            )
        for index in range(self.params["prospect_leads"]):
            source = self.sources[rng.choices(range(len(self.sources)), weights=self.source_weights)[0]]
            opened = self.random_datetime(self.random_date(self.start, self.today))
            first, last = rng.choice(TR_FEMALE + TR_MALE + INT_MALE), rng.choice(TR_LAST + INT_LAST)
            lost = rng.random() < 0.5
            rows.append(
                (
                    next(id_iter),
                    f"Enquiry from {first} {last}",
                    "lead" if rng.random() < 0.6 else "opportunity",
                    None,
                    f"{first} {last}",
                    f"{ascii_slug(first)}.{ascii_slug(last)}.p{index}@example.com",
                    rng.choice(self.open_stages),
                    0.0 if lost else 10.0,
                    not lost,
                    rng.choice(self.salespeople),
                    self.team,
                    self.company.id,
                    source["source"],
                    source["medium"],
                    self.campaign_for(source, opened.date()),
                    opened,
                    opened,
                    opened if lost else None,
                    opened,
                    rng.randint(50, 1500),
                    "0",
                )
            )
        self.bulk_copy(
            "crm_lead",
            [
                "id",
                "name",
                "type",
                "partner_id",
                "contact_name",
                "email_from",
                "stage_id",
                "probability",
                "active",
                "user_id",
                "team_id",
                "company_id",
                "source_id",
                "medium_id",
                "campaign_id",
                "create_date",
                "date_open",
                "date_closed",
                "date_last_stage_update",
                "expected_revenue",
                "priority",
                "email_normalized",
                "write_date",
                "create_uid",
                "write_uid",
            ],
            ((*row, row[5].lower() if row[5] else None, row[15], 1, 1) for row in rows),
        )

    # ------------------------------------------------------------------
    # sales and invoices
    # ------------------------------------------------------------------

    def make_sales(self):
        rng = self.rng
        orders, lines = [], []
        order_specs = []
        for customer in self.customers:
            source = self.sources[customer["source"]]
            if customer["loyal"]:
                count = rng.randint(5, 15)
            elif customer["one_off"]:
                count = 1
            else:
                count = rng.randint(2, 5)
            count = max(1, round(count * source["freq"]))
            days = sorted(self.random_date(customer["acquired"], self.today) for _ in range(count - 1))
            for position, day in enumerate([customer["acquired"], *days]):
                order_specs.append((customer, source, day, position == 0))
        order_ids = self.reserve_ids("sale_order", len(order_specs))
        invoice_specs = []
        for order_id, (customer, source, day, first) in zip(order_ids, order_specs, strict=True):
            state = "sale"
            roll = rng.random()
            if roll < 0.03:
                state = "cancel"
            elif roll < 0.08 and day > self.today - datetime.timedelta(days=60):
                state = "draft"
            ordered = self.random_datetime(day)
            if state == "sale" and ordered > customer["last"]:
                customer["last"] = ordered
            total = 0.0
            order_lines = []
            for _n in range(rng.choices([1, 2, 3, 4, 5], weights=[20, 25, 25, 18, 12])[0]):
                product_id, uom_id, name, price = rng.choice(self.products)
                qty = rng.choices([1, 2, 3, 5], weights=[60, 25, 10, 5])[0] * source["basket"]
                qty = max(1, round(qty))
                if customer["deal_seeker"] and rng.random() < 0.8:
                    discount = rng.choice([20.0, 25.0, 30.0, 40.0])
                elif rng.random() < 0.1:
                    discount = rng.choice([5.0, 10.0])
                else:
                    discount = 0.0
                subtotal = round(qty * price * (1 - discount / 100), 2)
                total += subtotal
                order_lines.append((product_id, uom_id, name, qty, price, discount, subtotal))
            invoiced = state == "sale"
            orders.append(
                (
                    order_id,
                    f"S{order_id:07d}",
                    customer["id"],
                    customer["id"],
                    customer["id"],
                    ordered,
                    state,
                    self.company.id,
                    self.currency,
                    self.pricelist,
                    "direct",
                    self.warehouse,
                    customer["salesperson"],
                    self.team,
                    round(total, 2),
                    0.0,
                    round(total, 2),
                    "invoiced" if invoiced else "no",
                    source["source"] if first else None,
                    source["medium"] if first else None,
                    self.campaign_for(source, day) if first else None,
                    customer["lead_id"] if first else None,
                    ordered,
                    ordered,
                    1,
                    1,
                    1.0,
                    False,
                    False,
                    True,
                )
            )
            for sequence, (product_id, uom_id, name, qty, price, discount, subtotal) in enumerate(
                order_lines
            ):
                lines.append(
                    (
                        order_id,
                        10 + sequence,
                        self.company.id,
                        self.currency,
                        customer["id"],
                        customer["salesperson"],
                        product_id,
                        uom_id,
                        state,
                        name,
                        qty,
                        price,
                        discount,
                        subtotal,
                        subtotal,
                        round(price * (1 - discount / 100), 2),
                        round(price * (1 - discount / 100), 2),
                        qty if invoiced else 0,
                        qty if invoiced else 0,
                        0,
                        "invoiced" if invoiced else "no",
                        0.0,
                        price,
                        "stock_move",
                        False,
                        False,
                        ordered,
                        ordered,
                        1,
                        1,
                        0.0,
                        self.warehouse,
                    )
                )
            if invoiced:
                invoice_specs.append((order_id, customer, ordered.date(), round(total, 2)))
        self.bulk_copy(
            "sale_order",
            [
                "id",
                "name",
                "partner_id",
                "partner_invoice_id",
                "partner_shipping_id",
                "date_order",
                "state",
                "company_id",
                "currency_id",
                "pricelist_id",
                "picking_policy",
                "warehouse_id",
                "user_id",
                "team_id",
                "amount_untaxed",
                "amount_tax",
                "amount_total",
                "invoice_status",
                "source_id",
                "medium_id",
                "campaign_id",
                "opportunity_id",
                "create_date",
                "write_date",
                "create_uid",
                "write_uid",
                "currency_rate",
                "require_signature",
                "require_payment",
                "locked",
            ],
            orders,
        )
        self.bulk_copy(
            "sale_order_line",
            [
                "order_id",
                "sequence",
                "company_id",
                "currency_id",
                "order_partner_id",
                "salesman_id",
                "product_id",
                "product_uom",
                "state",
                "name",
                "product_uom_qty",
                "price_unit",
                "discount",
                "price_subtotal",
                "price_total",
                "price_reduce_taxexcl",
                "price_reduce_taxinc",
                "qty_delivered",
                "qty_invoiced",
                "qty_to_invoice",
                "invoice_status",
                "price_tax",
                "technical_price_unit",
                "qty_delivered_method",
                "is_downpayment",
                "is_expense",
                "create_date",
                "write_date",
                "create_uid",
                "write_uid",
                "customer_lead",
                "warehouse_id",
            ],
            lines,
        )
        self.make_invoices(invoice_specs)

    def make_invoices(self, invoice_specs):
        rng = self.rng
        move_ids = self.reserve_ids("account_move", len(invoice_specs))
        moves, move_lines = [], []
        sequence_by_year = {}
        for move_id, (order_id, customer, day, total) in zip(move_ids, invoice_specs, strict=True):
            invoice_date = day + datetime.timedelta(days=rng.randint(0, 3))
            due = invoice_date + datetime.timedelta(days=30)
            if customer["late_payer"] and rng.random() < 0.8:
                paid = due + datetime.timedelta(days=rng.randint(5, 60))
            elif rng.random() < 0.1:
                paid = due + datetime.timedelta(days=rng.randint(1, 10))
            else:
                paid = invoice_date + datetime.timedelta(days=rng.randint(0, 30))
            is_paid = paid <= self.today
            number = sequence_by_year[invoice_date.year] = sequence_by_year.get(invoice_date.year, 0) + 1
            prefix = f"{self.journal_code}/{invoice_date.year}/"
            name = f"{prefix}{number:06d}"
            residual = 0.0 if is_paid else total
            moves.append(
                (
                    move_id,
                    name,
                    prefix,
                    number,
                    self.journal,
                    self.company.id,
                    customer["id"],
                    customer["id"],
                    customer["id"],
                    self.currency,
                    "posted",
                    "out_invoice",
                    "no",
                    "paid" if is_paid else "not_paid",
                    invoice_date,
                    invoice_date,
                    due,
                    total,
                    0.0,
                    total,
                    residual,
                    total,
                    total,
                    residual,
                    total,
                    f"S{order_id:07d}",
                    paid if is_paid else None,
                    customer["name"],
                    customer["salesperson"],
                    self.team,
                    True,
                    False,
                    1.0,
                    self.now,
                    self.now,
                    1,
                    1,
                )
            )
            move_lines.append(
                (
                    move_id,
                    self.journal,
                    self.company.id,
                    self.currency,
                    self.currency,
                    self.receivable,
                    customer["id"],
                    name,
                    "posted",
                    "payment_term",
                    invoice_date,
                    invoice_date,
                    due,
                    total,
                    0.0,
                    total,
                    total,
                    residual,
                    residual,
                    1.0,
                    0.0,
                    is_paid,
                    "",
                    10,
                    self.now,
                    self.now,
                    1,
                    1,
                )
            )
            move_lines.append(
                (
                    move_id,
                    self.journal,
                    self.company.id,
                    self.currency,
                    self.currency,
                    self.income,
                    customer["id"],
                    name,
                    "posted",
                    "product",
                    invoice_date,
                    invoice_date,
                    None,
                    0.0,
                    total,
                    -total,
                    -total,
                    0.0,
                    0.0,
                    1.0,
                    total,
                    False,
                    f"S{order_id:07d}",
                    20,
                    self.now,
                    self.now,
                    1,
                    1,
                )
            )
        self.bulk_copy(
            "account_move",
            [
                "id",
                "name",
                "sequence_prefix",
                "sequence_number",
                "journal_id",
                "company_id",
                "partner_id",
                "commercial_partner_id",
                "partner_shipping_id",
                "currency_id",
                "state",
                "move_type",
                "auto_post",
                "payment_state",
                "date",
                "invoice_date",
                "invoice_date_due",
                "amount_untaxed",
                "amount_tax",
                "amount_total",
                "amount_residual",
                "amount_untaxed_signed",
                "amount_total_signed",
                "amount_residual_signed",
                "amount_total_in_currency_signed",
                "invoice_origin",
                "affinity_paid_date",
                "invoice_partner_display_name",
                "invoice_user_id",
                "team_id",
                "posted_before",
                "is_storno",
                "invoice_currency_rate",
                "create_date",
                "write_date",
                "create_uid",
                "write_uid",
            ],
            moves,
        )
        self.bulk_copy(
            "account_move_line",
            [
                "move_id",
                "journal_id",
                "company_id",
                "currency_id",
                "company_currency_id",
                "account_id",
                "partner_id",
                "move_name",
                "parent_state",
                "display_type",
                "date",
                "invoice_date",
                "date_maturity",
                "debit",
                "credit",
                "balance",
                "amount_currency",
                "amount_residual",
                "amount_residual_currency",
                "quantity",
                "price_unit",
                "reconciled",
                "name",
                "sequence",
                "create_date",
                "write_date",
                "create_uid",
                "write_uid",
            ],
            move_lines,
        )

    # ------------------------------------------------------------------
    # spend and the relationship dates
    # ------------------------------------------------------------------

    def make_spend(self):
        """Monthly spend per source and yearly campaign, sized so each source's CAC is near its profile."""
        acquired = {}
        for customer in self.customers:
            key = (customer["source"], customer["acquired"].year, customer["acquired"].month)
            acquired[key] = acquired.get(key, 0) + 1
        rows = []
        for (source_index, year, month), count in sorted(acquired.items()):
            source = self.sources[source_index]
            if not source["cac"]:
                continue
            first = datetime.date(year, month, 1)
            last = (first + datetime.timedelta(days=32)).replace(day=1) - datetime.timedelta(days=1)
            amount = round(count * source["cac"] * self.rng.uniform(0.8, 1.2), 2)
            rows.append(
                (
                    f"{source['name']} {first:%B %Y}",
                    first,
                    last,
                    source["campaigns"].get(year),
                    source["source"],
                    source["medium"],
                    amount,
                    self.currency,
                    self.company.id,
                    self.now,
                    self.now,
                    1,
                    1,
                )
            )
        self.bulk_copy(
            "affinity_marketing_spend",
            [
                "name",
                "date_from",
                "date_to",
                "campaign_id",
                "source_id",
                "medium_id",
                "amount",
                "currency_id",
                "company_id",
                "create_date",
                "write_date",
                "create_uid",
                "write_uid",
            ],
            rows,
        )

    def make_complaints(self):
        """A few serial complainers (3-6 complaints in five months) and occasional one-off complaints."""
        rng = random.Random(self.rng_seed + 7)  # own stream: the rest of the dataset stays as it was
        subjects = [
            "Late delivery",
            "Damaged parcel",
            "Wrong item",
            "Invoice error",
            "Rude call",
            "Refund delay",
        ]
        rows = []
        for customer in self.customers:
            roll = rng.random()
            if roll < 0.03:
                days = [rng.randint(1, 150) for _n in range(rng.randint(3, 6))]
            elif roll < 0.12:
                days = [rng.randint(1, 700)]
            else:
                continue
            for ago in days:
                when = datetime.datetime.combine(
                    self.today - datetime.timedelta(days=ago),
                    datetime.time(rng.randint(9, 18), rng.randint(0, 59)),
                )
                state = "resolved" if ago > 20 else rng.choice(["open", "in_progress"])
                rows.append(
                    (
                        rng.choice(subjects),
                        customer["id"],
                        self.company.id,
                        when,
                        self.channels["email"],
                        state,
                        customer["salesperson"],
                        when + datetime.timedelta(days=rng.randint(1, 10)) if state == "resolved" else None,
                        None if state == "resolved" else (when + datetime.timedelta(days=3)).date(),
                        self.now,
                        self.now,
                        1,
                        1,
                    )
                )
        self.bulk_copy(
            "affinity_complaint",
            [
                "name",
                "partner_id",
                "company_id",
                "date",
                "channel_id",
                "state",
                "user_id",
                "resolved_on",
                "next_update_due",
                "create_date",
                "write_date",
                "create_uid",
                "write_uid",
            ],
            rows,
        )

    def derive(self):
        """Leave every derived figure right, as an import would: the file agrees with itself before any cron."""
        self.env.invalidate_all()
        self.env["res.partner"].sudo()._affinity_refresh_purchase_rhythm(all_customers=True)

    def run(self):
        steps = (
            self.ensure_company,
            self.ensure_reference_data,
            self.make_customers,
            self.make_affinity_files,
            self.make_consents,
            self.make_leads,
            self.make_sales,
            self.make_spend,
            self.make_complaints,
            self.flush_copies,
            self.derive,
        )
        for step in steps:
            started = time.monotonic()
            step()
            self.timings[step.__name__] = round(time.monotonic() - started, 2)
            _logger.info(
                "generator %s: %s done in %.1f s", self.size, step.__name__, self.timings[step.__name__]
            )
        self.env.invalidate_all()
        self.env.registry.clear_cache()
        return dict(self.counts)


def generate(env, size="small", seed=42, today=None, setup_company=False):
    """Fill the database with the seeded dataset of that size; returns {table: rows written}."""
    generator = Generator(env, size=size, seed=seed, today=today, setup_company=setup_company)
    counts = generator.run()
    _logger.info("crm_affinity seeded dataset %s (seed %s): %s", size, seed, counts)
    return counts
