import base64
import datetime
import io
import json

import openpyxl
from dateutil.relativedelta import relativedelta
from lxml import etree

from odoo.exceptions import AccessError
from odoo.tests import tagged
from odoo.tools.safe_eval import safe_eval

from .common import AffinityCase

SENSITIVE = [
    "affinity_salutation",
    "affinity_nickname",
    "affinity_notes",
    "affinity_conversation_openers",
    "affinity_preference_ids",
    "affinity_gift_ids",
    "affinity_date_ids",
    "affinity_owner_id",
    "affinity_next_date",
]


@tagged("post_install", "-at_install")
class TestPrivacy(AffinityCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.partner.write(
            {
                "affinity_salutation": "Ayşe Hanım",
                "affinity_notes": "<p>Her brother reads her SMS</p>",
                "affinity_preference_ids": [
                    (0, 0, {"category_id": cls.category_flowers.id, "name": "Daisies"})
                ],
                "affinity_date_ids": [(0, 0, {"kind_id": cls.kind_wedding.id, "day": 5, "month": "6"})],
                "affinity_owner_id": cls.user_scoped.id,
            }
        )
        cls.partner_other.write(
            {
                "affinity_salutation": "Mr Smith",
                "affinity_preference_ids": [
                    (0, 0, {"category_id": cls.category_flowers.id, "name": "Tulips"})
                ],
            }
        )

    def test_user_without_group_reads_nothing_sensitive(self):
        partner = self.partner.with_user(self.user_plain)
        self.assertEqual(partner.read(["name"])[0]["name"], "Ayşe Yılmaz")
        for field in SENSITIVE:
            with self.subTest(field=field), self.assertRaises(AccessError):
                partner.read([field])
            with self.subTest(field=field, path="search_read"), self.assertRaises(AccessError):
                self.env["res.partner"].with_user(self.user_plain).search_read(
                    [("id", "=", partner.id)], [field]
                )
            with self.subTest(field=field, path="export"), self.assertRaises(AccessError):
                partner.export_data([field])
        fields_info = self.env["res.partner"].with_user(self.user_plain).fields_get()
        self.assertFalse(set(SENSITIVE) & set(fields_info))
        for model in ("affinity.preference", "affinity.gift", "affinity.date", "affinity.profile"):
            with self.subTest(model=model), self.assertRaises(AccessError):
                self.env[model].with_user(self.user_plain).search([])
        # The form the plain user gets carries no Affinity tab.
        arch = self.env["res.partner"].with_user(self.user_plain).get_view(view_type="form")["arch"]
        self.assertNotIn('name="affinity"', arch)
        self.assertNotIn("affinity_salutation", arch)

    def test_affinity_user_reads_everything(self):
        partner = self.partner.with_user(self.user_affinity)
        values = partner.read(SENSITIVE)[0]
        self.assertEqual(values["affinity_salutation"], "Ayşe Hanım")
        self.assertEqual(len(values["affinity_preference_ids"]), 1)
        exported = partner.export_data(["affinity_salutation", "affinity_preference_ids/name"])["datas"]
        self.assertEqual(exported[0], ["Ayşe Hanım", "Daisies"])
        rows = (
            self.env["res.partner"]
            .with_user(self.user_affinity)
            .search_read([("id", "in", (self.partner.id, self.partner_other.id))], ["affinity_salutation"])
        )
        self.assertEqual({r["affinity_salutation"] for r in rows}, {"Ayşe Hanım", "Mr Smith"})
        arch = self.env["res.partner"].with_user(self.user_affinity).get_view(view_type="form")["arch"]
        self.assertIn('name="affinity"', arch)

    def test_salesperson_scope(self):
        own = self.partner.with_user(self.user_scoped)
        other = self.partner_other.with_user(self.user_scoped)
        self.assertEqual(own.affinity_salutation, "Ayşe Hanım")
        self.assertEqual(own.affinity_preference_ids.name, "Daisies")
        # Someone else's customer: the file is simply not there for this user.
        self.assertFalse(other.affinity_salutation)
        self.assertFalse(other.affinity_preference_ids)
        prefs = self.env["affinity.preference"].with_user(self.user_scoped).search([])
        self.assertEqual(prefs.partner_id, self.partner)
        with self.assertRaises(AccessError):
            self.env["affinity.preference"].with_user(self.user_scoped).create(
                {"partner_id": self.partner_other.id, "category_id": self.category_flowers.id, "name": "x"}
            )
        # Being the salesperson is as good as owning the relationship.
        self.partner_other.user_id = self.user_scoped
        self.env.invalidate_all()
        self.assertEqual(other.affinity_salutation, "Mr Smith")
        # Managers see every file even with the scope switched on.
        manager = self.user_manager
        manager.groups_id = [(4, self.env.ref("crm_affinity.group_affinity_own_only").id)]
        self.assertEqual(
            len(
                self.env["affinity.preference"]
                .with_user(manager)
                .search([("partner_id", "in", (self.partner.id, self.partner_other.id))])
            ),
            2,
        )

    def test_a_scoped_salesperson_sees_her_own_day(self):
        """Another salesperson's customer: the file is kept by their salesperson, never "Nothing yet";
        Contacts Due lists her customers; My follow-ups today her items of today only."""
        own = self.partner.with_user(self.user_scoped)
        other = self.partner_other.with_user(self.user_scoped)
        self.assertEqual(own.affinity_file_summary, "1 like or dislike · 1 important date")
        self.assertEqual(other.affinity_file_summary, "Kept by their salesperson")
        self.partner_other.user_id = self.user_affinity
        self.env.invalidate_all()
        self.assertEqual(other.affinity_file_summary, f"Kept by their salesperson, {self.user_affinity.name}")
        self.assertEqual(
            self.partner_other.with_user(self.user_affinity).affinity_file_summary, "1 like or dislike"
        )
        # One gift is "1 gift", two are "2 gifts" (issue #34: "1 gifts").
        reader = self.partner_other.with_user(self.user_affinity)
        self.env["affinity.gift"].create({"partner_id": self.partner_other.id, "name": "Tea"})
        self.env.invalidate_all()
        self.assertEqual(reader.affinity_file_summary, "1 like or dislike · 1 gift")
        self.env["affinity.gift"].create({"partner_id": self.partner_other.id, "name": "Coffee"})
        self.env.invalidate_all()
        self.assertEqual(reader.affinity_file_summary, "1 like or dislike · 2 gifts")
        # Contacts Due: both relationships are overdue; she sees hers, an administrator both.
        (self.partner | self.partner_other).write(
            {"affinity_cadence_days": 30, "affinity_last_interaction": datetime.datetime(2025, 1, 1)}
        )
        search = self.env.ref("crm_affinity.res_partner_view_search")
        overdue = etree.fromstring(search.arch).xpath("//filter[@name='affinity_contact_overdue']")[0]
        due_domain = safe_eval(
            overdue.get("domain"), {"context_today": datetime.date.today, "relativedelta": relativedelta}
        )
        pair = [("id", "in", (self.partner | self.partner_other).ids)]
        for user, expected in (
            (self.user_scoped, self.partner),
            (self.user_manager, self.partner | self.partner_other),
        ):
            with self.subTest(user=user.login):
                Partner = self.env["res.partner"].with_user(user)
                menu = self.env.ref("crm_affinity.res_partner_affinity_menu").action
                action = menu.with_user(user).run()
                self.assertEqual(action["res_model"], "res.partner")
                domain = action.get("domain") or []
                self.assertEqual(Partner.search(pair + due_domain + domain), expected)
        # My follow-ups today, on Monday 7 December 2026: what is planned for today or handed over today.
        rule = self.env["affinity.followup.rule"].create(
            {"name": "Call", "trigger": "cadence", "action": "activity"}
        )
        today = datetime.date(2026, 12, 7)
        rows = {
            "handed over on Friday": (
                "sent",
                today - datetime.timedelta(days=3),
                today - datetime.timedelta(days=3),
            ),
            "handed over today": ("sent", today - datetime.timedelta(days=1), today),
            "planned for today": ("planned", today, False),
            "planned for tomorrow": ("planned", today + datetime.timedelta(days=1), False),
            "done today": ("done", today, today),
        }
        partners = self.env["res.partner"].create([{"name": name} for name in rows])
        followups = self.env["affinity.followup"].create(
            [
                {
                    "rule_id": rule.id,
                    "partner_id": partner.id,
                    "company_id": self.env.company.id,
                    "occurrence_date": due,
                    "due_date": due,
                    "due_datetime": datetime.datetime.combine(due, datetime.time(6, 0)),
                    "user_id": self.user_scoped.id,
                    "state": state,
                    "handed_on": handed_on,
                }
                for partner, (state, due, handed_on) in zip(partners, rows.values(), strict=True)
            ]
        )
        search = self.env.ref("crm_affinity.affinity_followup_view_search")
        my_today = etree.fromstring(search.arch).xpath("//filter[@name='my_today']")[0]
        domain = safe_eval(
            my_today.get("domain"),
            {"context_today": lambda: today, "relativedelta": relativedelta, "uid": self.user_scoped.id},
        )
        found = self.env["affinity.followup"].search([("id", "in", followups.ids), *domain])
        self.assertEqual(sorted(found.partner_id.mapped("name")), ["handed over today", "planned for today"])

    def test_scope_setting_toggles_the_group(self):
        group = self.env.ref("crm_affinity.group_affinity_own_only")
        settings = self.env["res.config.settings"].create({"group_affinity_own_only": True})
        settings.execute()
        self.assertIn(group, self.env.ref("base.group_user").implied_ids)
        self.assertIn(group, self.user_affinity.groups_id)

    def test_portal_user_gets_nothing(self):
        portal = self.user_portal
        for model in (
            "affinity.preference",
            "affinity.gift",
            "affinity.date",
            "affinity.profile",
            "affinity.consent",
            "affinity.consent.log",
            "affinity.marketing.spend",
        ):
            with self.subTest(model=model), self.assertRaises(AccessError):
                self.env[model].with_user(portal).search([])
        with self.assertRaises(AccessError):
            self.partner.with_user(portal).read(["affinity_salutation"])

    def test_export_file_json(self):
        wizard = (
            self.env["affinity.file.export"]
            .with_user(self.user_affinity)
            .create({"partner_id": self.partner.id, "file_format": "json"})
        )
        action = wizard.action_export()
        attachment = self.env["ir.attachment"].browse(int(action["url"].split("/")[3].split("?")[0]))
        data = json.loads(base64.b64decode(attachment.datas))
        self.assertEqual(data["person"]["form_of_address"], "Ayşe Hanım")
        self.assertEqual(data["preferences"][0]["name"], "Daisies")
        self.assertEqual(data["important_dates"][0]["day"], 5)

    def test_export_file_xlsx(self):
        wizard = self.env["affinity.file.export"].create(
            {"partner_id": self.partner.id, "file_format": "xlsx"}
        )
        action = wizard.action_export()
        attachment = self.env["ir.attachment"].browse(int(action["url"].split("/")[3].split("?")[0]))
        book = openpyxl.load_workbook(io.BytesIO(base64.b64decode(attachment.datas)))
        self.assertIn("Preferences", book.sheetnames)
        values = list(book["Person"].iter_rows(values_only=True))
        self.assertIn(("form_of_address", "Ayşe Hanım"), values)

    def test_erasure_keeps_consent_history(self):
        self.partner._affinity_set_consent("email", "marketing", "granted", source="web_form")
        logs = self.partner.affinity_consent_log_ids
        self.assertTrue(logs)
        with self.assertRaises(AccessError):
            self.partner.with_user(self.user_affinity).action_affinity_erase_file()
        self.partner.with_user(self.user_manager).action_affinity_erase_file()
        self.assertFalse(self.partner.affinity_salutation)
        self.assertFalse(self.partner.affinity_preference_ids)
        self.assertFalse(self.partner.affinity_date_ids)
        self.assertFalse(self.partner.affinity_notes)
        self.assertEqual(self.partner.affinity_consent_log_ids, logs)
        self.assertEqual(self.partner.affinity_consent_ids.state, "granted")
        # The other customer's file is untouched.
        self.assertEqual(self.partner_other.affinity_salutation, "Mr Smith")
