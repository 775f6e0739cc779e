"""Deterministic seeded dataset for the demo, the tests and the benchmark.

``generate(env, size="small", seed=42)`` fills a database with customers, leads, sale orders, invoices,
consents, important dates, affinity files and marketing spend. The same seed and anchor date give the
same data. Bulk tables are written with PostgreSQL COPY and ids reserved from their sequences, so the
``large`` set (100 000 customers, ~1 000 000 order lines) builds in minutes.
"""

import base64
import datetime
import io
import logging
import random
import time

import psycopg2
from PIL import Image, ImageDraw

from odoo import fields
from odoo.tools import SQL

from .crm import CrmMixin
from .customers import CustomersMixin
from .files import FilesMixin
from .names import PILOT, PRODUCTS, SIZES, SOURCES, YEARS
from .sales import SalesMixin
from .spend import SpendMixin

_logger = logging.getLogger(__name__)

# The demo company: a Turkish business in Istanbul, writing from a domain reserved for examples.
DEMO_TZ = "Europe/Istanbul"
DEMO_MAIL_DOMAIN = "affinity-demo.example.com"
DEMO_COMPANY_EMAIL = f"iletisim@{DEMO_MAIL_DOMAIN}"


def demo_logo():
    """The demo company's logo, drawn here (base64 PNG): two overlapping rings on a white square."""
    size = 256
    image = Image.new("RGBA", (size, size), (255, 255, 255, 0))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((0, 0, size - 1, size - 1), radius=48, fill=(255, 255, 255, 255))
    draw.ellipse((28, 60, 164, 196), outline=(200, 16, 46, 255), width=22)
    draw.ellipse((92, 60, 228, 196), outline=(0, 128, 128, 255), width=22)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue())


def copy_escape(value):
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    text = str(value)
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


class Generator(CustomersMixin, FilesMixin, CrmMixin, SalesMixin, SpendMixin):
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
            columns, rows = self._existing_columns(table, columns, rows)
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

    def _existing_columns(self, table, columns, rows):
        """Leave out the columns an optional module (Inventory's warehouse) would add, when it is absent."""
        existing = {
            row[0]
            for row in self.env.execute_query(
                SQL("SELECT column_name FROM information_schema.columns WHERE table_name = %s", table)
            )
        }
        keep = [index for index, column in enumerate(columns) if column in existing]
        if len(keep) == len(columns):
            return columns, rows
        return [columns[index] for index in keep], ([row[index] for index in keep] for row in rows)

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
        self.company.write(
            {
                "name": "Affinity Demo A.Ş.",
                "country_id": turkey.id,
                "street": "Büyükdere Caddesi No: 185",
                "street2": "Levent",
                "zip": "34394",
                "city": "İstanbul",
                "state_id": self.env["res.country.state"]
                .search([("country_id", "=", turkey.id), ("code", "=", "34")], limit=1)
                .id,
                "phone": "+90 212 555 01 00",
                "email": DEMO_COMPANY_EMAIL,
                "website": f"https://www.{DEMO_MAIL_DOMAIN}",
                "logo": demo_logo(),
            }
        )
        self.ensure_mail()
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

    def ensure_mail(self):
        """The demo company sends from its own domain and delivers nowhere.

        A demo has no mail server and its customers' addresses are invented: each message would fail with
        "connection refused" and be listed in exception. The company has a sender address and an alias
        domain (catchall, bounce, default sender), and the outgoing queue is not processed: messages wait
        in Settings > Technical > Emails, outgoing, to be read. Odoo's periodic digest is not sent either.
        """
        domain = self.env["mail.alias.domain"].search([("name", "=", DEMO_MAIL_DOMAIN)], limit=1)
        if not domain:
            domain = self.env["mail.alias.domain"].create(
                {
                    "name": DEMO_MAIL_DOMAIN,
                    "bounce_alias": "bounce",
                    "catchall_alias": "catchall",
                    "default_from": "bildirim",
                }
            )
        self.company.alias_domain_id = domain
        for xmlid in ("mail.ir_cron_mail_scheduler_action", "digest.ir_cron_digest_scheduler_action"):
            cron = self.env.ref(xmlid, raise_if_not_found=False)
            if cron:
                cron.active = False
        if "digest.digest" in self.env:
            self.env["digest.digest"].search([]).state = "deactivated"

    def ensure_users(self):
        """The administrator and the salespeople work in Istanbul, in Turkish; one of them in English."""
        if not self.setup_company:
            return
        admin = self.env.ref("base.user_admin")
        admin.write({"tz": DEMO_TZ, "lang": self.lang_tr})
        # On the partner: a user's new address would mail a security notice to the old one.
        admin.partner_id.email = f"yonetici@{DEMO_MAIL_DOMAIN}"
        salespeople = self.env["res.users"].browse(self.salespeople)
        for user in salespeople:
            user.write({"tz": DEMO_TZ, "lang": "en_US" if user.login == "john.sales" else self.lang_tr})
        self.company.partner_id.tz = DEMO_TZ
        if self.company.resource_calendar_id:
            self.company.resource_calendar_id.tz = DEMO_TZ

    def ensure_pilot(self, Campaign):
        """Last year's pilot of one source's campaign: it takes that source's customers of its months."""
        source = next(s for s in self.sources if s["name"] == PILOT["source"])
        year = self.today.year - 1
        rollout = source["campaigns"].get(year)
        name = f"{PILOT['name']} {year}"
        pilot = Campaign.search([("name", "=", name)], limit=1) or Campaign.create(
            {"name": name, "affinity_pilot_of_id": rollout}
        )
        source["pilot"] = (year, PILOT["months"], pilot.id, PILOT["cost_factor"])

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
        self.ensure_pilot(Campaign)

        users = self.env["res.users"].with_context(active_test=False)
        installed = {code for code, _name in self.env["res.lang"].get_installed()}
        self.lang_tr = "tr_TR" if "tr_TR" in installed else "en_US"
        # The demo's salespeople write from the company's domain.
        domain = DEMO_MAIL_DOMAIN if self.setup_company else "example.com"
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
                    "email": f"{login}@{domain}",
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
        # Inventory is optional: without it orders have no warehouse and lines are delivered by hand.
        self.has_stock = "stock.warehouse" in self.env
        self.warehouse = (
            self.has_stock
            and self.env["stock.warehouse"].search([("company_id", "=", self.company.id)], limit=1).id
            or None
        )
        self.pricelist = (
            self.env["product.pricelist"].search([("company_id", "in", (False, self.company.id))], limit=1).id
            or None
        )
        self.currency = self.company.currency_id.id
        self.categories = {c.code: c.id for c in self.env["affinity.preference.category"].search([])}
        kinds = self.env["affinity.date.kind"].search([])
        self.kinds = {kind.code: kind.id for kind in kinds}
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

    def derive(self):
        """Leave every derived figure right, as an import would: the file agrees with itself before any cron."""
        self.env.invalidate_all()
        self.env["res.partner"].sudo()._affinity_refresh_purchase_rhythm(all_customers=True)

    def run(self):
        steps = (
            self.ensure_company,
            self.ensure_reference_data,
            self.ensure_users,
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
