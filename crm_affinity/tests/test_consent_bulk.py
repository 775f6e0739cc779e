"""The set-based path of ``_affinity_set_consent`` leaves exactly what the per-record ORM path leaves.

The same changes are applied to two sets of partners built alike: once through the ORM path, once through
the set-based one; every row each leaves (consents, history, IYS queue, blacklist entries, their notes and
tracking) is then compared column by column, the partners' and addresses' own names aside.
"""

import datetime
from unittest.mock import patch

from freezegun import freeze_time

from odoo.tests import tagged
from odoo.tools import SQL

from ..models import affinity_consent_bulk
from .common import AffinityCase, set_blacklist_rows

SIZE = 6  # partners of each kind in a set
MOMENT = datetime.datetime(2026, 3, 17, 9, 30)  # a Tuesday before Ramazan Bayramı: the deadline crosses it
KINDS = (
    "new",  # no consent yet
    "granted",  # a marketing grant over e-mail and SMS
    "denied",  # a marketing denial over e-mail and SMS, their addresses blacklisted
    "lapsed",  # a grant whose expiry passed
    "held",  # a denial whose blacklist entries were archived elsewhere
    "family",  # shares its e-mail address and number with a relative outside the changes, who said no
    "twin",  # a duplicate of a "new" partner (same e-mail), left out of the changes
    "company",  # a contact of a company (its display name names the company)
    "abroad",  # a number outside Turkey: IYS never holds it
)


@tagged("post_install", "-at_install")
class TestConsentBulk(AffinityCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Everything as in production: the blacklist's notes and tracking are part of what is compared.
        cls.env = cls.env(context={})
        cls.company.write({"affinity_consent_mode": "opt_in", "affinity_relationship_commercial": True})
        cls.account = cls.env["affinity.iys.account"].create(
            {
                "company_id": cls.company.id,
                "base_url": "http://127.0.0.1:9",
                "iys_code": "1",
                "brand_code": "1",
                "username": "u",
                "password": "p",
                "state": "on",
            }
        )

    def _people(self, tag):
        """One set of partners of every kind, their consents and blacklist entries as earlier changes left
        them; ``tag`` (a digit) tells the sets' names, addresses and numbers apart."""
        Partner = self.env["res.partner"]
        firm = Partner.create(
            {"name": f"Firma {tag}", "is_company": True, "email": f"firma{tag}@example.com"}
        )
        people = {}
        for kind in KINDS:
            people[kind] = Partner
            for index in range(SIZE):
                number = f"+90 532 {tag}{KINDS.index(kind)}{index} 00 00"
                vals = {
                    "name": f"  Kişi {tag} {kind} {index} ",
                    "email": f"{kind}{index}.{tag}@example.com",
                    "mobile": f"+44 7911 {tag}{KINDS.index(kind)}{index}000" if kind == "abroad" else number,
                }
                if kind == "company":
                    vals["parent_id"] = firm.id
                people[kind] |= Partner.create(vals)
        for partner in people["new"]:
            people.setdefault("twins", Partner)
            people["twins"] |= Partner.create({"name": f"İkiz {partner.name}", "email": partner.email})
        people["twin"] = people.pop("twins")
        people["relatives"] = Partner
        for partner in people["family"]:
            people["relatives"] |= Partner.create(
                {"name": f"Akraba {partner.name}", "email": partner.email, "mobile": partner.mobile}
            )
        for channel in ("email", "sms"):
            (people["granted"] | people["lapsed"] | people["held"])._affinity_set_consent(
                channel, "marketing", "granted", source="paper", date_given=MOMENT
            )
            (people["denied"] | people["relatives"])._affinity_set_consent(
                channel, "marketing", "denied", source="paper", date_given=MOMENT
            )
        self.env["affinity.consent"].search([("partner_id", "in", people["lapsed"].ids)]).write(
            {"expiry_date": datetime.date(2026, 4, 1)}
        )
        # An older import left the addresses of these grants blacklisted, then lifted.
        set_blacklist_rows(
            self.env, "mail.blacklist", people["held"].mapped("email_normalized"), active=False
        )
        set_blacklist_rows(
            self.env,
            "phone.blacklist",
            [
                number
                for partner in people["held"]
                for number in partner._affinity_blacklist_addresses("phone")
            ],
            active=False,
        )
        # As committed before the changes come: their entries are tracked from here on.
        self.env.flush_all()
        self.env.cr.precommit.run()
        return people

    def _apply(self, people):
        """The changes of a pull page and of an import, the same for both sets."""
        denying = (
            people["new"] | people["granted"] | people["held"] | people["company"][:3] | people["abroad"][:3]
        )
        granting = people["denied"] | people["lapsed"] | people["family"] | people["company"][3:]
        granting |= people["abroad"][3:]
        moments = {
            partner.id: MOMENT + datetime.timedelta(hours=index)
            for index, partner in enumerate(denying | granting)
        }
        halves = [denying, granting]
        iys_note = "IYS: RET from IYS_MOBIL"
        for channel in ("email", "sms"):
            halves[0]._affinity_set_consent(
                channel, "marketing", "denied", source="iys", note=iys_note, date_given=moments
            )
            halves[1]._affinity_set_consent(
                channel,
                "marketing",
                "granted",
                source="iys",
                note="IYS: ONAY from IYS_WEB",
                date_given=moments,
            )
        # Our own changes (an import): queued for IYS, due there within 3 business days.
        halves[0]._affinity_set_consent("sms", "marketing", "granted", source="import", date_given=MOMENT)
        (people["family"] | people["held"])._affinity_set_consent(
            "email", "marketing", "granted", source="import", date_given=MOMENT
        )
        people["granted"]._affinity_set_consent(
            "email", "service", "denied", source="manual", date_given=MOMENT
        )
        self.env.flush_all()
        # Archiving and restoring an entry is tracked when the transaction commits: done here.
        self.env.cr.precommit.run()

    def _rows(self, people, tag):
        """Everything the changes left for a set, as comparable rows: ids become partner names and addresses,
        and the set's tag a neutral mark."""
        partners = self.env["res.partner"].union(*people.values())

        def neutral(value):
            if not isinstance(value, str):
                return value
            for mark in (".%s@", "532 %s", "532%s", "7911 %s", "7911%s", "Kişi %s", "firma%s", "Firma %s"):
                value = value.replace(mark % tag, mark % "#")
            return value

        names = {partner.id: neutral(partner.name) for partner in partners}
        consent_rows = self.env.execute_query(
            SQL("SELECT * FROM affinity_consent WHERE partner_id = ANY(%s) ORDER BY id", partners.ids)
        )
        columns = [column.name for column in self.env.cr.description]
        consents = {}
        for row in consent_rows:
            values = dict(zip(columns, row, strict=True))
            consents[values["id"]] = str(
                (names[values["partner_id"]], values["channel_id"], values["purpose_id"])
            )

        def table(query, drop=(), refs=None):
            rows = self.env.execute_query(query)
            columns = [column.name for column in self.env.cr.description]
            result = []
            for row in rows:
                values = dict(zip(columns, row, strict=True))
                for column, mapping in (refs or {}).items():
                    values[column] = mapping.get(values[column], values[column])
                result.append(
                    tuple(
                        (column, neutral(value))
                        for column, value in sorted(values.items())
                        if column not in drop
                    )
                )
            return sorted(result, key=repr)

        addresses = [p.email_normalized for p in partners if p.email_normalized]
        numbers = [n for p in partners for n in p._affinity_blacklist_addresses("phone")]
        mail_entries = dict(
            self.env.execute_query(
                SQL("SELECT id, email FROM mail_blacklist WHERE email = ANY(%s)", addresses)
            )
        )
        phone_entries = dict(
            self.env.execute_query(
                SQL("SELECT id, number FROM phone_blacklist WHERE number = ANY(%s)", numbers)
            )
        )
        logs = self.env.execute_query(
            SQL("SELECT id FROM affinity_consent_log WHERE partner_id = ANY(%s)", partners.ids)
        )
        log_keys = {}
        for (log_id,) in logs:
            log = self.env["affinity.consent.log"].browse(log_id)
            log_keys[log_id] = neutral(
                str(
                    (
                        names[log.partner_id.id],
                        log.channel_id.id,
                        log.purpose_id.id,
                        log.new_state,
                        log.consent_date,
                    )
                )
            )
        entry_of = {("mail.blacklist", k): v for k, v in mail_entries.items()}
        entry_of.update({("phone.blacklist", k): v for k, v in phone_entries.items()})
        messages = self.env.execute_query(
            SQL(
                """SELECT m.*, m.model AS entry_model FROM mail_message m
                    WHERE (m.model = 'mail.blacklist' AND m.res_id = ANY(%s))
                       OR (m.model = 'phone.blacklist' AND m.res_id = ANY(%s))""",
                list(mail_entries),
                list(phone_entries),
            )
        )
        columns = [column.name for column in self.env.cr.description]
        message_rows, message_keys = [], {}
        for row in messages:
            values = dict(zip(columns, row, strict=True))
            message_keys[values["id"]] = neutral(
                str((values["model"], entry_of[values["model"], values["res_id"]], values["body"]))
            )
            values["res_id"] = entry_of[values["model"], values["res_id"]]
            # One Message-Id per batch, made up at random; the moment in seconds of the clock.
            for column in ("id", "message_id", "date"):
                values.pop(column)
            message_rows.append(tuple((column, neutral(value)) for column, value in sorted(values.items())))
        tracking = table(
            SQL(
                "SELECT * FROM mail_tracking_value WHERE mail_message_id = ANY(%s)",
                list(message_keys) or [0],
            ),
            drop=("id",),
            refs={"mail_message_id": message_keys},
        )
        followers = table(
            SQL(
                """SELECT res_model, res_id, partner_id FROM mail_followers
                    WHERE (res_model = 'mail.blacklist' AND res_id = ANY(%s))
                       OR (res_model = 'phone.blacklist' AND res_id = ANY(%s))""",
                list(mail_entries),
                list(phone_entries),
            ),
            refs={"res_id": {**mail_entries, **phone_entries}},
        )
        return {
            "consents": table(
                SQL("SELECT * FROM affinity_consent WHERE partner_id = ANY(%s)", partners.ids),
                drop=("id",),
                refs={"partner_id": names},
            ),
            "history": table(
                SQL("SELECT * FROM affinity_consent_log WHERE partner_id = ANY(%s)", partners.ids),
                drop=("id",),
                refs={"partner_id": names, "consent_id": consents},
            ),
            "queue": table(
                SQL("SELECT * FROM affinity_iys_push WHERE partner_id = ANY(%s)", partners.ids),
                drop=("id",),
                refs={"partner_id": names, "consent_id": consents, "log_id": log_keys},
            ),
            "mail blacklist": table(
                SQL("SELECT * FROM mail_blacklist WHERE email = ANY(%s)", addresses), drop=("id",)
            ),
            "phone blacklist": table(
                SQL("SELECT * FROM phone_blacklist WHERE number = ANY(%s)", numbers), drop=("id",)
            ),
            "notes": sorted(message_rows, key=repr),
            "tracking": tracking,
            "followers": followers,
        }

    def test_bulk_path_leaves_what_the_orm_path_leaves(self):
        # The same clock for both: a change from the blacklist is dated when it happens.
        with freeze_time("2026-12-01 09:00:00"):
            orm_people, bulk_people = self._people("1"), self._people("2")
        with freeze_time("2026-12-01 10:00:00"), patch.object(affinity_consent_bulk, "BULK_MIN", 10**9):
            self._apply(orm_people)
        with freeze_time("2026-12-01 10:00:00"), patch.object(affinity_consent_bulk, "BULK_MIN", 1):
            self._apply(bulk_people)
        orm, bulk = self._rows(orm_people, "1"), self._rows(bulk_people, "2")
        # The scenario does what it says: rows of every kind to compare.
        self.assertGreater(len(orm["consents"]), 100)
        self.assertGreater(len(orm["history"]), 150)
        self.assertTrue(orm["queue"] and orm["notes"] and orm["tracking"])
        self.assertTrue(orm["mail blacklist"] and orm["phone blacklist"])
        for name in orm:
            with self.subTest(table=name):
                self.assertEqual(len(bulk[name]), len(orm[name]))
                for orm_row, bulk_row in zip(orm[name], bulk[name], strict=True):
                    orm_values, bulk_values = dict(orm_row), dict(bulk_row)
                    self.assertEqual(
                        {key: value for key, value in bulk_values.items() if orm_values.get(key) != value},
                        {key: value for key, value in orm_values.items() if bulk_values.get(key) != value},
                    )

    def _pull_page(self, people):
        """A page of IYS's changes for a set: every person's e-mail and number, a RET for every third."""
        everyone = self.env["res.partner"].union(*(people[kind] for kind in KINDS if kind != "twin"))
        changes = []
        for index, partner in enumerate(everyone):
            for iys_type, recipient in (
                ("EPOSTA", partner.email_normalized),
                ("MESAJ", partner._affinity_iys_recipient(self.channel_sms)),
            ):
                if recipient:
                    changes.append(
                        {
                            "recipient": recipient,
                            "recipientType": "BIREYSEL",
                            "type": iys_type,
                            "status": "RET" if index % 3 == 0 else "ONAY",
                            "source": "IYS_MOBIL",
                            "consentDate": f"2026-03-2{index % 3 + 3} 1{index % 10}:00:00",
                            "transactionId": f"T{index:04d}{iys_type}",
                        }
                    )
        self.account._apply_changes(changes, "IYS")
        self.env.flush_all()
        self.env.cr.precommit.run()

    def test_bulk_pull_leaves_what_the_orm_pull_leaves(self):
        """A page of the pull: consents, IYS's record on them, history and blacklist alike both ways."""
        with freeze_time("2026-12-01 09:00:00"):
            orm_people, bulk_people = self._people("1"), self._people("2")
        with freeze_time("2026-12-01 10:00:00"), patch.object(affinity_consent_bulk, "BULK_MIN", 10**9):
            self._pull_page(orm_people)
        with freeze_time("2026-12-01 10:00:00"), patch.object(affinity_consent_bulk, "BULK_MIN", 1):
            self._pull_page(bulk_people)
        orm, bulk = self._rows(orm_people, "1"), self._rows(bulk_people, "2")
        statuses = {dict(row)["iys_status"] for row in orm["consents"]}
        self.assertEqual(statuses, {"ONAY", "RET", None})
        for name in orm:
            with self.subTest(table=name):
                self.assertEqual(len(bulk[name]), len(orm[name]))
                for orm_row, bulk_row in zip(orm[name], bulk[name], strict=True):
                    orm_values, bulk_values = dict(orm_row), dict(bulk_row)
                    self.assertEqual(
                        {key: value for key, value in bulk_values.items() if orm_values.get(key) != value},
                        {key: value for key, value in orm_values.items() if bulk_values.get(key) != value},
                    )

    def test_bulk_path_queries_do_not_grow_with_the_partners(self):
        """A denial for 60 people and one for 180 (each a new consent and a new blacklist entry with its note)
        cost the same number of statements (after a first one has filled the caches)."""
        counts = []
        for size in (50, 60, 180):
            partners = self.env["res.partner"].create(
                [
                    {"name": f"Kişi {size} {index}", "email": f"k{size}.{index}@example.com"}
                    for index in range(size)
                ]
            )
            self.env.flush_all()
            before = self.env.cr.sql_log_count
            partners._affinity_set_consent("email", "marketing", "denied", source="iys", date_given=MOMENT)
            self.env.flush_all()
            counts.append(self.env.cr.sql_log_count - before)
            self.assertEqual(
                self.env["mail.blacklist"].search_count(
                    [("email", "in", partners.mapped("email_normalized"))]
                ),
                size,
            )
        self.assertEqual(counts[1], counts[2])
