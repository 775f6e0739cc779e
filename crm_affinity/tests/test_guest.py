"""A good guest: core flows pay a constant number of queries for crm_affinity, whatever the batch size.

Each SQL statement is attributed to this addon when a frame of the addon's own code (not its tests) is on
the stack that issued it: its overrides, the computes of its fields, the flushes it asks for. The counts
of a batch of one and a batch of many must be equal.
"""

import contextlib
import os
import sys
from unittest.mock import patch

from lxml import etree

from odoo.exceptions import UserError
from odoo.sql_db import Cursor
from odoo.tests import tagged, users

from .common import AffinityCase

ADDON_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
TESTS_DIR = os.path.join(ADDON_DIR, "tests") + os.sep
BASE_DIR = os.sep + os.path.join("odoo", "addons", "base") + os.sep
ADDONS_MARK = os.sep + "addons" + os.sep


def _addon_frame():
    """The innermost module code on the stack decides: this addon's, or another addon's.

    Odoo's framework (the ORM, the cursor, the base module) is passed over, so a compute of this addon
    that the ORM runs, or a flush it asks for, counts as its own; core code that an override of this
    addon calls through super() counts as core's.
    """
    frame = sys._getframe(2)
    while frame:
        filename = frame.f_code.co_filename
        if filename.startswith(ADDON_DIR):
            return None if filename.startswith(TESTS_DIR) else frame
        if ADDONS_MARK in filename and BASE_DIR not in filename:
            return None
        frame = frame.f_back
    return None


def _in_flush():
    frame = sys._getframe(2)
    while frame:
        if frame.f_code.co_name == "_flush" and frame.f_code.co_filename.endswith(
            os.path.join("odoo", "models.py")
        ):
            return True
        frame = frame.f_back
    return False


class GuestCase(AffinityCase):
    @contextlib.contextmanager
    def affinity_queries(self):
        """The statements this addon's code issues inside the block, each named by the function issuing it."""
        counted = []
        execute = Cursor.execute

        def counting_execute(cursor, query, params=None, log_exceptions=True):
            frame = _addon_frame()
            # A flush this addon asks for only writes earlier what core would write anyway: not counted.
            if frame and not _in_flush():
                counted.append(f"{frame.f_code.co_name}: {str(query)[:90]}")
            return execute(cursor, query, params, log_exceptions)

        self.env.flush_all()
        with patch.object(Cursor, "execute", counting_execute):
            yield counted
            self.env.flush_all()

    def assertConstant(self, counts, message, queries=None):
        details = "".join(f"\n{size}: " + "\n   ".join(q) for size, q in (queries or {}).items())
        self.assertEqual(len(set(counts.values())), 1, f"{message}: {counts}{details}")


@tagged("post_install", "-at_install")
class TestCoreFlowsPayAConstant(GuestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.salesmen = cls.user_affinity | cls.user_manager | cls.user_scoped
        cls.product = cls.env["product.product"].create({"name": "Guest product", "list_price": 10})

    def customers(self, count, prefix):
        return self.Partner.create(
            [
                {"name": f"{prefix} {index}", "email": f"{prefix.lower()}{index}@guest.example.com"}
                for index in range(count)
            ]
        )

    def test_lead_assignment(self):
        counts, queries = {}, {}
        for size in (1, 50):
            partners = self.customers(size, f"Lead{size}")
            leads = self.env["crm.lead"].create(
                [{"name": f"Lead {p.name}", "partner_id": p.id, "user_id": False} for p in partners]
            )
            with self.affinity_queries() as counted:
                leads._handle_salesmen_assignment(user_ids=self.salesmen.ids, team_id=False)
            self.assertTrue(all(leads.mapped("user_id")))
            counts[size] = len(counted)
            queries[size] = counted
        self.assertConstant(counts, "queries of crm_affinity when assigning 1 and 50 leads", queries)
        self.assertLessEqual(counts[50], 2)

    def test_sale_confirmation(self):
        counts, queries = {}, {}
        for size in (1, 20):
            partners = self.customers(size, f"Order{size}")
            orders = self.env["sale.order"].create(
                [
                    {"partner_id": p.id, "order_line": [(0, 0, {"product_id": self.product.id})]}
                    for p in partners
                ]
            )
            with self.affinity_queries() as counted:
                orders.action_confirm()
            self.assertEqual(set(orders.mapped("state")), {"sale"})
            counts[size] = len(counted)
            queries[size] = counted
        self.assertConstant(counts, "queries of crm_affinity when confirming 1 and 20 orders", queries)
        # The purchase rhythm and the interaction are right at once, not only after the nightly job.
        self.assertTrue(all(partners.mapped("affinity_last_order_date")))
        self.assertTrue(all(partners.mapped("affinity_last_interaction")))

    def test_invoice_posting(self):
        counts, queries = {}, {}
        for size in (1, 20):
            partners = self.customers(size, f"Invoice{size}")
            moves = self.env["account.move"].create(
                [
                    {
                        "move_type": "out_invoice",
                        "partner_id": p.id,
                        "invoice_line_ids": [(0, 0, {"product_id": self.product.id, "price_unit": 10})],
                    }
                    for p in partners
                ]
            )
            with self.affinity_queries() as counted:
                moves.action_post()
            counts[size] = len(counted)
            queries[size] = counted
        self.assertConstant(counts, "queries of crm_affinity when posting 1 and 20 invoices", queries)

    def test_message_post_on_partners_leads_and_orders(self):
        partners = self.customers(21, "Post")
        lead = self.env["crm.lead"].create({"name": "Posted lead", "partner_id": partners[0].id})
        order = self.env["sale.order"].create({"partner_id": partners[0].id})
        per_call = {}
        for record in (partners[0], lead, order):
            record = record.with_user(self.user_manager)
            with self.affinity_queries() as counted:
                record.message_post(body="A note", message_type="comment", subtype_xmlid="mail.mt_note")
            per_call[record._name] = len(counted)
            self.assertLessEqual(len(counted), 2, f"{record._name}: {counted}")
        counts, queries = {}, {}
        for size, batch in ((1, partners[1:2]), (20, partners[1:])):
            with self.affinity_queries() as counted:
                for partner in batch.with_user(self.user_affinity):
                    partner.message_post(body="A note", message_type="comment", subtype_xmlid="mail.mt_note")
            counts[size] = len(counted) / size
            queries[size] = counted
        self.assertConstant(counts, "queries of crm_affinity per message_post on 1 and 20 partners", queries)
        # A logged note on a partner is an interaction: the date moved without waiting for the night.
        self.assertTrue(all(partners[1:].mapped("affinity_last_interaction")))
        batch_counts, queries = {}, {}
        for size, batch in ((1, partners[1:2]), (20, partners[1:])):
            with self.affinity_queries() as counted:
                batch._message_log_batch(bodies={partner.id: "Logged" for partner in batch})
            batch_counts[size] = len(counted)
            queries[size] = counted
        self.assertConstant(
            batch_counts, "queries of crm_affinity when logging on 1 and 20 partners", queries
        )

    @users("aff_plain")
    def test_tracking_messages_cost_nothing(self):
        partner = self.env["res.partner"].create({"name": "Tracked"})
        with self.affinity_queries() as counted:
            partner._message_log(body="Tracking-like notification", message_type="notification")
        self.assertEqual(counted, [])


@tagged("post_install", "-at_install")
class TestPartnerForm(GuestCase):
    """The partner form carries a summary; the file and the permissions open in one click."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.partner.write(
            {
                "affinity_salutation": "Ayşe Hanım",
                "affinity_owner_id": cls.user_affinity.id,
                "affinity_preference_ids": [
                    (0, 0, {"category_id": cls.category_flowers.id, "name": f"Flower {i}"}) for i in range(3)
                ],
                "affinity_date_ids": [(0, 0, {"kind_id": cls.kind_wedding.id, "day": 5, "month": "6"})],
                "affinity_channel_ids": [
                    (0, 0, {"channel_id": cls.channel_sms.id, "caution": "Her brother reads her SMS"})
                ],
            }
        )
        cls.partner._affinity_set_consent("email", "marketing", "granted", source="web_form")
        cls.partner._affinity_set_consent("sms", "marketing", "denied", source="call_centre")

    def form_spec(self):
        """The fields the web client reads for the partner form as an Affinity user sees it."""
        Partner = self.env["res.partner"].with_user(self.user_affinity)
        arch = etree.fromstring(Partner.get_views([(False, "form")])["views"]["form"]["arch"])
        spec = {}
        for node in arch.iter("field"):
            if any(parent.tag == "field" for parent in node.iterancestors()):
                continue
            field = Partner._fields.get(node.get("name"))
            if field is None:
                continue
            if field.type == "many2one":
                spec[field.name] = {"fields": {"display_name": {}}}
            elif field.type in ("one2many", "many2many"):
                spec[field.name] = {"fields": {"display_name": {}}, "limit": 40}
            else:
                spec[field.name] = {}
        return spec

    def queries(self, spec):
        partner = self.partner.with_user(self.user_affinity)
        partner.web_read(spec)  # warm the caches that do not depend on the record
        self.env.invalidate_all()
        before = self.env.cr.sql_log_count
        partner.web_read(spec)
        return self.env.cr.sql_log_count - before

    def test_summary_reads_what_the_lists_hold(self):
        partner = self.partner.with_user(self.user_affinity)
        self.assertEqual(partner.affinity_file_summary, "3 likes and dislikes · 1 important date")
        self.assertEqual(partner.affinity_caution_text, "SMS: Her brother reads her SMS")
        self.assertEqual(
            partner.affinity_consent_summary, "E-mail / Marketing: Granted\nSMS / Marketing: Denied"
        )
        scoped = self.partner.with_user(self.user_scoped)
        # Another salesperson's customer: her file is kept by her salesperson, not empty.
        self.assertEqual(
            scoped.affinity_file_summary, f"Kept by their salesperson, {self.user_affinity.name}"
        )
        # An employee without Affinity reads the consents and cautions; the file's counts are not asked for.
        plain = self.partner.with_user(self.user_plain)
        self.assertEqual(plain.affinity_caution_text, "SMS: Her brother reads her SMS")
        self.assertIn("E-mail / Marketing: Granted", plain.affinity_consent_summary)

    def test_a_tab_reads_its_summary_when_opened(self):
        """The tabs' summaries come through the reader's access rights and record rules."""
        lines = self.partner.with_user(self.user_affinity).affinity_summary_lines("file")
        self.assertEqual(
            {line["name"]: line["value"] for line in lines},
            {
                "affinity_file_summary": "3 likes and dislikes · 1 important date",
                "affinity_owner_name": self.partner.affinity_owner_id.partner_id.name,
            },
        )
        self.assertEqual(lines[0]["label"], "In the File")
        scoped = self.partner.with_user(self.user_scoped).affinity_summary_lines("file")
        self.assertEqual(scoped[0]["value"], f"Kept by their salesperson, {self.user_affinity.name}")
        # An employee without Affinity sees the consents, not the file.
        plain = self.partner.with_user(self.user_plain)
        self.assertEqual(plain.affinity_summary_lines("file"), [])
        consents = {line["name"]: line["value"] for line in plain.affinity_summary_lines("communication")}
        self.assertEqual(
            consents["affinity_consent_summary"], "E-mail / Marketing: Granted\nSMS / Marketing: Denied"
        )
        with self.assertRaises(UserError):
            plain.affinity_summary_lines("value")

    def test_file_and_permissions_open_in_one_click(self):
        partner = self.partner.with_user(self.user_affinity)
        for method, view in (
            ("action_affinity_open_file", "crm_affinity.res_partner_view_form_affinity_file"),
            (
                "action_affinity_open_communication",
                "crm_affinity.res_partner_view_form_affinity_communication",
            ),
            ("action_affinity_open_value", "crm_affinity.res_partner_view_form_affinity_value"),
        ):
            action = getattr(partner, method)()
            self.assertEqual((action["res_model"], action["res_id"]), ("res.partner", self.partner.id))
            self.assertEqual(action["views"], [(self.env.ref(view).id, "form")])

    def test_form_costs_at_most_five_queries_more_than_core(self):
        spec = self.form_spec()
        core = {name: value for name, value in spec.items() if not name.startswith("affinity_")}
        self.assertIn("affinity_caution_text", spec, "the cautions show before any tab is opened")
        for lazy in ("affinity_file_summary", "affinity_owner_name", "affinity_consent_summary"):
            self.assertNotIn(lazy, spec, "a tab's summary is read when the tab is opened")
        self.assertNotIn("affinity_preference_ids", spec, "the lists live in the file view")
        self.assertNotIn("affinity_cost_to_serve", spec, "costs and health live in the value sheet")
        extra = self.queries(spec) - self.queries(core)
        self.assertLessEqual(extra, 5)
