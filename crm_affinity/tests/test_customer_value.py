import base64
import io

import openpyxl
from freezegun import freeze_time
from lxml import etree

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, tagged
from odoo.tools import SQL, mute_logger
from odoo.tools.misc import format_amount, formatLang
from odoo.tools.safe_eval import safe_eval

from .common import AffinityCase

TODAY = "2026-06-30 12:00:00"


@tagged("post_install", "-at_install")
class TestCustomerValue(AffinityCase):
    """A fixture computed by hand, on 30 June 2026 (value window: the 12 months after 30 June 2025).

    Product P lists at 100 and costs 40. Confirmed orders:
    A: 20 Jun, 1 Jun, 1 May (100 each); B: 20 Jun (2 x 100) - ties A on recency;
    C: 1 Mar (100 at 50 % discount) and 1 Apr (sold at 50, no discount); D: 31 Dec 2025 (10 x 100);
    E: 30 Jun 2024 (sold at 20), outside the window.
    Ranks (ties share the lower rank) give R/F/M scores 1 + floor(5 (rank - 1) / 5):
    A 454 Champions, B 413 Promising, C 342 Loyal, D 215 Hibernating, E 111 Lost.
    A also has one complaint (cost 30) and two done calls (10 each): service cost 50,
    margin 300 - 120 - 50 = 130, lifetime value (180 - 50) x 3 = 390.
    L has only invoices raised from elsewhere (an origin document), so L is not a purchaser; of its four
    invoices due in the window one was paid 10 days late, one 20, one on time and one is 6 days overdue:
    75 % late, 12 days late on average. A fifth is not due yet and does not count.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        cls.company.write(
            {
                "affinity_complaint_cost": 30,
                "affinity_value_months": 12,
                "affinity_ltv_years": 3,
                "affinity_vip_percent": 5,
            }
        )
        cls.call_type = env.ref("mail.mail_activity_data_call")
        cls.call_type.affinity_unit_cost = 10
        cls.product = env["product.product"].create(
            {"name": "P", "list_price": 100, "standard_price": 40, "invoice_policy": "order"}
        )
        Partner = env["res.partner"]
        cls.a, cls.b, cls.c, cls.d, cls.e, cls.late = (
            Partner.create({"name": f"Value {name}", "email": f"value.{name.lower()}@example.com"})
            for name in ("A", "B", "C", "D", "E", "L")
        )

        def order(partner, day, qty=1, price=100, discount=0):
            so = env["sale.order"].create(
                {
                    "partner_id": partner.id,
                    "order_line": [
                        (
                            0,
                            0,
                            {
                                "product_id": cls.product.id,
                                "product_uom_qty": qty,
                                "price_unit": price,
                                "discount": discount,
                            },
                        )
                    ],
                }
            )
            so.action_confirm()
            so.date_order = f"{day} 10:00:00"
            return so

        order(cls.a, "2026-06-20")
        order(cls.a, "2026-06-01")
        order(cls.a, "2026-05-01")
        order(cls.b, "2026-06-20", qty=2)
        order(cls.c, "2026-03-01", discount=50)
        order(cls.c, "2026-04-01", price=50)
        order(cls.d, "2025-12-31", qty=10)
        order(cls.e, "2024-06-30", price=20)
        cls.complaint_a = env["affinity.complaint"].create(
            {"name": "Late delivery", "partner_id": cls.a.id, "date": "2026-06-02 09:00:00"}
        )
        with freeze_time("2026-06-10 10:00:00"):
            for _call in range(2):
                cls.a.activity_schedule("mail.mail_activity_data_call", summary="Call").action_feedback(
                    "Done"
                )

        def invoice(due, paid=None):
            move = env["account.move"].create(
                {
                    "move_type": "out_invoice",
                    "partner_id": cls.late.id,
                    "invoice_date": "2026-04-01",
                    "invoice_date_due": due,
                    "invoice_origin": "Contract 7",
                    "invoice_line_ids": [
                        (0, 0, {"product_id": cls.product.id, "quantity": 1, "price_unit": 100})
                    ],
                }
            )
            move.action_post()
            move.invoice_date_due = due
            if paid:
                env["account.payment.register"].with_context(
                    active_model="account.move", active_ids=move.ids
                ).create({"payment_date": paid})._create_payments()
            return move

        cls.invoices = (
            invoice("2026-05-01", "2026-05-11")
            + invoice("2026-05-10", "2026-05-30")
            + invoice("2026-06-01", "2026-05-25")
            + invoice("2026-06-24")
            + invoice("2026-07-15")
        )
        cls.Value = env["affinity.customer.value"]
        cls.Flag = env["affinity.review.flag"].with_context(active_test=False)

    def _recompute(self):
        with freeze_time(TODAY):
            return self.Value._recompute()

    def _flags(self, partner, kind=None):
        domain = [("partner_id", "in", partner.ids)] + ([("kind", "=", kind)] if kind else [])
        return self.Flag.search(domain)

    def _segment(self, xmlid):
        return self.env.ref(f"crm_affinity.affinity_rfm_segment_{xmlid}")

    def test_rfm_scores_and_segments(self):
        self._recompute()
        expected = {
            self.a: (10, 3, 300, "454", "champions"),
            self.b: (10, 1, 200, "413", "promising"),
            self.c: (90, 2, 100, "342", "loyal"),
            self.d: (181, 1, 1000, "215", "hibernating"),
            self.e: (730, 1, 20, "111", "lost"),
        }
        for partner, (recency, frequency, monetary, score, segment) in expected.items():
            with self.subTest(partner=partner.name):
                self.assertEqual(partner.affinity_rfm_recency, recency)
                self.assertEqual(partner.affinity_rfm_frequency, frequency)
                self.assertAlmostEqual(partner.affinity_rfm_monetary, monetary)
                self.assertEqual(partner.affinity_rfm_score, score)
                self.assertEqual(partner.affinity_segment_id, self._segment(segment))
                self.assertEqual(str(partner.affinity_value_date), "2026-06-30")
        self.assertFalse(
            self.late.affinity_rfm_score, "invoices raised from another document are not purchases"
        )
        self.assertFalse(self.late.affinity_segment_id)
        champions = self._segment("champions")
        self.assertIn(self.a, self.Partner.search([("affinity_segment_id", "=", champions.id)]))
        groups = dict(
            self.Partner._read_group(
                [("id", "in", (self.a | self.b | self.c | self.d | self.e).ids)],
                ["affinity_segment_id"],
                ["__count"],
            )
        )
        self.assertEqual(groups[champions], 1)
        self.assertEqual(champions.partner_count, 1)

    def test_value_margin_and_cost_to_serve(self):
        self._recompute()
        a, c, d, e = self.a, self.c, self.d, self.e
        self.assertAlmostEqual(a.affinity_revenue_12m, 300)
        self.assertAlmostEqual(a.affinity_product_cost_12m, 120)
        self.assertAlmostEqual(a.affinity_service_cost_12m, 50)
        self.assertAlmostEqual(a.affinity_cost_to_serve, 50)
        self.assertAlmostEqual(a.affinity_margin_12m, 130)
        self.assertAlmostEqual(a.affinity_ltv, 390)
        self.assertEqual(a.affinity_complaint_count, 1)
        # C: 100 revenue, 80 product cost, 50 discount given on the first order, half the revenue discounted.
        self.assertAlmostEqual(c.affinity_revenue_12m, 100)
        self.assertAlmostEqual(c.affinity_discount_12m, 50)
        self.assertAlmostEqual(c.affinity_cost_to_serve, 50)
        self.assertAlmostEqual(c.affinity_margin_12m, 20)
        self.assertAlmostEqual(c.affinity_discount_share, 50)
        self.assertAlmostEqual(c.affinity_ltv, 60)
        # D: one big order less than a year ago; E bought two years ago at a loss (20 sold, 40 cost).
        self.assertAlmostEqual(d.affinity_ltv, 1800)
        self.assertAlmostEqual(e.affinity_revenue_12m, 0)
        self.assertAlmostEqual(e.affinity_ltv, round(-20 / (730 / 365.25) * 3, 2))
        self.assertEqual(
            [p.affinity_value_rank for p in (d, a, self.b, c, e)], [1, 2, 3, 4, 5], "ranked by lifetime value"
        )
        self.assertEqual([p.affinity_margin_rank for p in (d, a, self.b, c)], [1, 2, 3, 4])
        self.assertTrue(d.affinity_vip, "top 5 % of five customers: the first one")
        self.assertFalse(a.affinity_vip)
        vip = self._flags(d, "vip")
        self.assertEqual(vip.state, "to_review")
        self.assertFalse(d.affinity_to_review, "a VIP flag alone asks nothing of the manager")
        # Amounts read as the reader's language writes them, with the currency's symbol.
        self.assertIn(format_amount(self.env, 1800, self.company.currency_id), vip.evidence)
        self.env["res.lang"]._activate_lang("tr_TR")
        self.assertIn("1.800,00", vip.with_context(lang="tr_TR").evidence)
        self.assertFalse(self._flags(a | self.b | c | e))

    def test_invoice_only_customer(self):
        """Where sales are not used, posted invoices with no origin are purchases; refunds lower revenue."""
        partner = self.Partner.create({"name": "Invoice only"})
        move = self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": partner.id,
                "invoice_date": "2026-06-15",
                "invoice_line_ids": [
                    (0, 0, {"product_id": self.product.id, "quantity": 3, "price_unit": 100})
                ],
            }
        )
        move.action_post()
        refund = move._reverse_moves(default_values_list=[{"invoice_date": "2026-06-16"}])
        refund.invoice_line_ids.quantity = 1
        refund.action_post()
        self._recompute()
        self.assertEqual(partner.affinity_rfm_frequency, 1, "a refund is not a purchase")
        self.assertEqual(partner.affinity_rfm_recency, 15)
        self.assertAlmostEqual(partner.affinity_rfm_monetary, 200)
        self.assertAlmostEqual(partner.affinity_product_cost_12m, 80)
        self.assertAlmostEqual(partner.affinity_margin_12m, 120)
        self.assertTrue(partner.affinity_segment_id)

    def test_late_payer_edges(self):
        self._recompute()
        self.assertAlmostEqual(self.late.affinity_late_share, 75)
        self.assertAlmostEqual(self.late.affinity_days_late, 12)
        flag = self._flags(self.late, "late_payer")
        self.assertTrue(flag.active)
        self.assertAlmostEqual(flag.measure, 75)
        self.assertAlmostEqual(flag.measure_secondary, 12)
        self.assertTrue(self.late.affinity_to_review)
        cases = [
            ({"affinity_late_share": 75, "affinity_late_days": 12, "affinity_late_min_invoices": 4}, True),
            (
                {"affinity_late_share": 75.01, "affinity_late_days": 12, "affinity_late_min_invoices": 4},
                False,
            ),
            (
                {"affinity_late_share": 75, "affinity_late_days": 12.01, "affinity_late_min_invoices": 4},
                False,
            ),
            ({"affinity_late_share": 75, "affinity_late_days": 12, "affinity_late_min_invoices": 5}, False),
        ]
        for settings, flagged in cases:
            with self.subTest(settings=settings):
                self.company.write(settings)
                self._recompute()
                flag = self._flags(self.late, "late_payer")
                self.assertEqual(flag.active, flagged)
                self.assertEqual(self.late.affinity_to_review, flagged)
        self.assertEqual(
            len(self._flags(self.late, "late_payer")), 1, "one flag per kind, archived and reopened"
        )

    def test_deal_seeker_edges(self):
        cases = [
            ({"affinity_deal_share": 50, "affinity_deal_min_orders": 2}, True),
            ({"affinity_deal_share": 50.01, "affinity_deal_min_orders": 2}, False),
            ({"affinity_deal_share": 50, "affinity_deal_min_orders": 3}, False),
        ]
        for settings, flagged in cases:
            with self.subTest(settings=settings):
                self.company.write(settings)
                self._recompute()
                flag = self._flags(self.c, "deal_seeker")
                self.assertEqual(bool(flag.active), flagged)
                if flagged:
                    self.assertAlmostEqual(flag.measure, 50)
                    self.assertEqual(flag.measure_secondary, 2)
                    self.assertIn("50%", flag.evidence)

    def test_serial_complainer_edges(self):
        for day in ("2025-12-15", "2026-01-15", "2026-03-01", "2026-06-01"):
            self.env["affinity.complaint"].create(
                {"name": "Again", "partner_id": self.b.id, "date": f"{day} 09:00"}
            )
        self.company.affinity_complaint_months = 6
        self.company.affinity_complaint_threshold = 3
        self._recompute()
        self.assertEqual(
            self.b.affinity_complaint_count, 3, "the December complaint is older than six months"
        )
        self.assertAlmostEqual(self.b.affinity_service_cost_12m, 120, "all four fall in the 12-month window")
        flag = self._flags(self.b, "serial_complainer")
        self.assertTrue(flag.active)
        self.assertEqual(flag.measure, 3)
        self.company.affinity_complaint_threshold = 4
        self._recompute()
        self.assertFalse(flag.active)
        self.assertFalse(self.b.affinity_to_review)

    def test_unprofitable(self):
        self.env["affinity.complaint"].create(
            {"name": "Broken", "partner_id": self.c.id, "date": "2026-03-05"}
        )
        self._recompute()
        self.assertAlmostEqual(self.c.affinity_margin_12m, -10)
        flag = self._flags(self.c, "unprofitable")
        self.assertAlmostEqual(flag.measure, -10)
        self.assertTrue(self.c.affinity_to_review)
        self.assertEqual(self.c.affinity_margin_rank, 6, "last: below the non-customer L at zero")

    def test_evidence_amounts_read_as_shown(self):
        """A loss in the evidence is "-159.60", with nothing invisible between the sign and the digits (Odoo's
        format_amount puts a U+FEFF there), in the flag and in the workbook's review sheet alike."""
        flag = self.env["affinity.review.flag"].create(
            {"partner_id": self.c.id, "kind": "unprofitable", "company_id": self.company.id}
        )
        flag.sudo().measure = -159.60
        self.assertNotIn("\ufeff", flag.evidence)
        self.assertIn("-159.60", flag.evidence)
        vip = self.env["affinity.review.flag"].create(
            {"partner_id": self.d.id, "kind": "vip", "company_id": self.company.id}
        )
        vip.sudo().write({"measure": -5.5, "measure_secondary": 1})
        self.assertNotIn("\ufeff", vip.evidence)
        wizard = self.env["affinity.value.export"].with_user(self.user_manager).create({})
        action = wizard.action_export_xlsx()
        attachment = self.env["ir.attachment"].browse(
            int(action["url"].split("/web/content/")[1].split("?")[0])
        )
        book = openpyxl.load_workbook(io.BytesIO(base64.b64decode(attachment.datas)))
        evidence = [row[2] for row in book["Review flags"].iter_rows(min_row=2, values_only=True)]
        self.assertTrue(any("-159.60" in (text or "") for text in evidence))
        self.assertFalse(any("\ufeff" in (text or "") for text in evidence))

    def test_usual_purchase_interval_in_whole_days(self):
        """The partner form shows the usual purchase interval as 8, not 8.00: the form's field says how many
        decimals the web client shows."""
        arch = etree.fromstring(
            self.env["res.partner"].get_view(self.env.ref("base.view_partner_form").id)["arch"]
        )
        [node] = arch.xpath("//field[@name='affinity_order_interval']")
        digits = safe_eval(node.get("digits") or "None") or self.env["res.partner"]._fields[
            "affinity_order_interval"
        ].get_digits(self.env)
        self.assertIsNotNone(digits, "no digits: the web client shows two decimals")
        self.assertEqual(formatLang(self.env, 8.0, digits=digits[1]), "8")

    def test_recompute_is_idempotent(self):
        first = self._recompute()
        self.assertEqual(first["customers"], 6, "five purchasers and the late payer")
        self.assertEqual(first["changed"], 6)
        self.assertEqual(first["flags_raised"], 2)  # D VIP, L late payer
        self.Flag.search([("partner_id", "=", self.late.id)]).action_keep()
        second = self._recompute()
        self.assertEqual(
            second,
            {
                **second,
                "changed": 0,
                "cleared": 0,
                "flags_raised": 0,
                "flags_archived": 0,
                "review_changed": 0,
            },
        )
        self.assertEqual(self._flags(self.late).state, "kept", "a decision survives the nightly run")
        # A cancelled order takes the customer out; their figures are cleared, not left stale.
        self.env["sale.order"].search([("partner_id", "=", self.e.id)])._action_cancel()
        third = self._recompute()
        self.assertEqual(third["cleared"], 1)
        self.assertFalse(self.e.affinity_rfm_score)
        self.assertFalse(self.e.affinity_value_date)

    def test_nightly_rerun_with_nothing_changed_stops_early(self):
        with freeze_time(TODAY):
            first = self.Value._cron_recompute()
            self.assertNotIn("unchanged", first)
            self.assertEqual(first["changed"], 6)
            again = self.Value._cron_recompute()
        self.assertTrue(again["unchanged"], "nothing changed the same day: the work table is not built")
        self.assertEqual((again["customers"], again["changed"]), (6, 0))
        # A new complaint is a changed source: the next run sees it, the same day.
        self.env["affinity.complaint"].create({"name": "Late", "partner_id": self.c.id, "date": "2026-06-01"})
        with freeze_time(TODAY):
            third = self.Value._cron_recompute()
        self.assertNotIn("unchanged", third)
        self.assertEqual(self.c.affinity_complaint_count, 1)
        # The button always recomputes: a person who just changed something expects to see it.
        with freeze_time(TODAY):
            self.assertNotIn("unchanged", self.Value._recompute())
        # Another day moves recency and the windows: everything is computed again.
        with freeze_time("2026-07-01 12:00:00"):
            fourth = self.Value._cron_recompute()
        self.assertNotIn("unchanged", fourth)
        self.assertEqual(self.a.affinity_rfm_recency, 11)

    def test_flag_reopens_when_reason_returns(self):
        self._recompute()
        flag = self._flags(self.late, "late_payer")
        flag.action_keep()
        self.company.affinity_late_share = 80
        self._recompute()
        self.assertFalse(flag.active)
        self.company.affinity_late_share = 30
        self._recompute()
        self.assertTrue(flag.active)
        self.assertEqual(flag.state, "to_review", "an archived flag that comes back is reviewed again")
        self.assertTrue(self.late.affinity_to_review)

    def test_cron_and_button(self):
        cron = self.env.ref("crm_affinity.ir_cron_affinity_value")
        with freeze_time(TODAY):
            cron.method_direct_trigger()
        self.assertEqual(self.a.affinity_rfm_score, "454")
        self.assertTrue(self.company.affinity_value_computed_at)
        with self.assertRaises(AccessError):
            self.env["affinity.customer.value"].with_user(self.user_affinity).action_recompute()
        with freeze_time(TODAY):
            action = self.env["affinity.customer.value"].with_user(self.user_manager).action_recompute()
        self.assertIn("0 changed", action["params"]["message"])

    def test_access(self):
        self._recompute()
        manager_a = self.a.with_user(self.user_manager)
        self.assertAlmostEqual(manager_a.affinity_margin_12m, 130)
        self.assertTrue(self._flags(self.late).with_user(self.user_manager).read(["evidence"]))
        user_a = self.a.with_user(self.user_affinity)
        self.assertEqual(user_a.affinity_rfm_score, "454")
        self.assertAlmostEqual(user_a.affinity_ltv, 390)
        for field in (
            "affinity_margin_12m",
            "affinity_cost_to_serve",
            "affinity_product_cost_12m",
            "affinity_flag_ids",
        ):
            with self.subTest(field=field), self.assertRaises(AccessError):
                user_a.read([field])
        with self.assertRaises(AccessError):
            self.Flag.with_user(self.user_affinity).search([])
        with self.assertRaises(AccessError):
            self.a.with_user(self.user_plain).read(["affinity_segment_id"])
        self.assertTrue(self._segment("champions").with_user(self.user_plain).read(["name"]))
        with self.assertRaises(AccessError):
            self._segment("champions").with_user(self.user_affinity).write({"name": "Stars"})

    def test_flags_follow_company(self):
        self._recompute()
        other = self.env["res.company"].create({"name": "Other Co"})
        manager = self.user_manager
        manager.write({"company_ids": [(4, other.id)]})
        flags = self.Flag.with_user(manager).with_context(allowed_company_ids=[other.id])
        self.assertFalse(flags.search([]), "flags of another company stay in it")
        self.assertTrue(flags.with_context(allowed_company_ids=[self.company.id]).search([]))

    def test_offboarding(self):
        self._recompute()
        flag = self._flags(self.late, "late_payer")
        self.late._affinity_set_consent("email", "marketing", "granted", source="web_form")
        self.assertTrue(
            self.late._affinity_contact_decision("email", "marketing", check_window=False)[
                self.late.id
            ].allowed
        )
        with self.assertRaises(AccessError):
            self.late.with_user(self.user_affinity).action_affinity_offboard()
        action = flag.with_user(self.user_manager).action_offboard()
        wizard_form = Form(
            self.env[action["res_model"]].with_user(self.user_manager).with_context(**action["context"])
        )
        wizard_form.strategy = "price_review"
        # The decided flags read as what they are, not as the customer's name again.
        self.assertEqual(wizard_form.flag_ids[0].display_name, "Chronic late payer")
        self.assertEqual(
            wizard_form.template_id, self.env.ref("crm_affinity.mail_template_offboard_price_review")
        )
        wizard_form.reason = "Pays three invoices in four late; prices reviewed instead of chasing."
        wizard = wizard_form.save()
        self.assertIn("Value L", wizard.preview)
        wizard.action_confirm()
        decision = self.late._affinity_contact_decision("email", "marketing", check_window=False)[
            self.late.id
        ]
        self.assertFalse(decision.allowed)
        self.assertEqual(decision.reason, "denied")
        logs = self.env["affinity.consent.log"].search(
            [("partner_id", "=", self.late.id), ("source", "=", "offboarding")]
        )
        channels = self.env["affinity.channel"].search([])
        self.assertEqual(
            len(logs), len(channels), "marketing switched off on every channel, each change logged"
        )
        self.assertEqual(set(logs.mapped("new_state")), {"denied"})
        self.assertIn("prices reviewed", logs[0].note)
        self.assertTrue(
            self.late._affinity_contact_decision("email", "service", check_window=False)[
                self.late.id
            ].allowed,
            "a price review keeps the customer: service messages still go out",
        )
        self.assertEqual(flag.state, "offboarded")
        self.assertEqual(flag.decided_by_id, self.user_manager)
        self.assertFalse(self.late.affinity_to_review)
        self.assertEqual(self.late.affinity_offboard_strategy, "price_review")
        activity = self.late.activity_ids
        self.assertEqual(len(activity), 1, "never a silent drop: someone has the closing conversation to do")
        self.assertEqual(activity.user_id, self.user_manager)
        self.assertIn("Value L", activity.note)

    def test_offboarding_needs_a_reason(self):
        wizard = (
            self.env["affinity.offboard"]
            .with_user(self.user_manager)
            .create({"partner_id": self.e.id, "strategy": "end_relationship", "reason": "   "})
        )
        with self.assertRaises(UserError):
            wizard.action_confirm()
        self.assertFalse(self.env["affinity.consent.log"].search([("partner_id", "=", self.e.id)]))
        with self.assertRaises(AccessError):
            self.env["affinity.offboard"].with_user(self.user_affinity).create(
                {"partner_id": self.e.id, "reason": "No"}
            )

    def test_offboarding_end_relationship(self):
        self.e.affinity_cadence_days = 30
        wizard = (
            self.env["affinity.offboard"]
            .with_user(self.user_manager)
            .create(
                {
                    "partner_id": self.e.id,
                    "strategy": "end_relationship",
                    "reason": "Moved abroad, asked us to stop.",
                }
            )
        )
        wizard.action_confirm()
        self.assertEqual(self.e.affinity_cadence_days, 0)
        for purpose in ("marketing", "relationship"):
            decision = self.e._affinity_contact_decision("email", purpose, check_window=False)[self.e.id]
            self.assertFalse(decision.allowed, purpose)

    def test_offboarding_in_the_customers_language_by_their_people(self):
        """A Turkish administrator offboards an English-speaking customer: the draft is English, and the
        closing conversation goes to the customer's own people, not to the administrator."""
        self.env["res.lang"]._activate_lang("tr_TR")
        self.env["ir.module.module"]._load_module_terms(["crm_affinity"], ["tr_TR"], overwrite=True)
        self.user_manager.lang = "tr_TR"
        seller = self.user_affinity
        self.e.write({"lang": "en_US", "user_id": seller.id})
        self.d.write({"lang": "tr_TR", "affinity_owner_id": self.user_scoped.id, "user_id": seller.id})

        def wizard_form(partner):
            action = (
                partner.with_user(self.user_manager).with_context(lang="tr_TR").action_affinity_offboard()
            )
            Wizard = self.env[action["res_model"]].with_user(self.user_manager)
            form = Form(Wizard.with_context(lang="tr_TR", **action["context"]))
            form.strategy = "price_review"
            form.reason = "Fiyatlar gözden geçirilecek."
            return form

        english = wizard_form(self.e)
        self.assertEqual(english.user_id, seller, "the salesperson, not the administrator")
        # The template's English text, as data/mail_template_offboard_data.xml writes it.
        self.assertIn("Thank you for the years you have worked with us.", english.preview)
        self.assertNotIn("teşekkür", english.preview)
        wizard = english.save()
        wizard.action_confirm()
        activity = self.e.activity_ids
        self.assertEqual(activity.user_id, seller)
        self.assertIn("Thank you for the years you have worked with us.", activity.note)
        turkish = wizard_form(self.d)
        self.assertEqual(turkish.user_id, self.user_scoped, "the relationship owner comes first")
        # The Turkish of the same template, as i18n/tr.po writes it.
        self.assertIn("Bizimle çalıştığınız yıllar için teşekkür ederiz.", turkish.preview)
        # Without anyone of their own, the person offboarding is asked; a departed owner is passed over.
        self.a.write({"affinity_owner_id": self.user_plain.id})
        self.user_plain.active = False
        self.assertEqual(wizard_form(self.a).user_id, self.user_manager)

    def test_fraud_needs_evidence(self):
        with self.assertRaises(ValidationError):
            self.Flag.create({"partner_id": self.a.id, "kind": "fraud"})
        flag = self.Flag.create(
            {"partner_id": self.a.id, "kind": "fraud", "note": "Stolen card, bank notice 12"}
        )
        self.assertTrue(self.a.affinity_to_review)
        self.assertEqual(flag.evidence, "Stolen card, bank notice 12")
        # One flag per customer and kind is an SQL constraint: PostgreSQL refuses, the person is told why.
        with (
            mute_logger("odoo.sql_db"),
            self.assertRaisesRegex(ValidationError, "already carries a 'Fraud' flag"),
        ):
            self.Flag.create({"partner_id": self.a.id, "kind": "fraud", "note": "twice"})
        self.assertEqual(flag.note, "Stolen card, bank notice 12", "the refused twin changed nothing")
        self._recompute()
        self.assertTrue(flag.active, "the nightly run never clears a person's fraud flag")

    def test_settings_and_segments_validate(self):
        with self.assertRaises(ValidationError):
            self.company.affinity_value_months = 0
        with self.assertRaises(ValidationError):
            self.company.affinity_late_share = 120
        with self.assertRaises(ValidationError):
            self.env["affinity.rfm.segment"].create({"name": "Bad", "r_min": 4, "r_max": 2})
        with self.assertRaises(ValidationError):
            self.env["affinity.rfm.segment"].create({"name": "Bad", "f_min": 0})

    def test_xlsx_export(self):
        self._recompute()
        wizard = self.env["affinity.value.export"].with_user(self.user_manager).create({})
        action = wizard.action_export_xlsx()
        self.assertIn("/web/content/", action["url"])
        attachment = self.env["ir.attachment"].browse(
            int(action["url"].split("/web/content/")[1].split("?")[0])
        )
        book = openpyxl.load_workbook(io.BytesIO(base64.b64decode(attachment.datas)))
        self.assertEqual(book.sheetnames, ["Segments", "Customers by value", "Review flags"])
        customers = list(book["Customers by value"].iter_rows(values_only=True))
        names = [row[1] for row in customers[1:]]
        self.assertEqual(names[:5], ["Value D", "Value A", "Value B", "Value C", "Value E"])
        self.assertEqual(customers[2][10], 130, "A's margin, for a manager")
        flags = list(book["Review flags"].iter_rows(values_only=True))
        self.assertIn("Value L", [row[0] for row in flags[1:]])
        with self.assertRaises(AccessError):
            self.env["affinity.value.export"].with_user(self.user_affinity).create({})

    def test_nightly_review_mark_outside_the_valued(self):
        """A flag written outside the ORM on someone with nothing to value still marks them at night."""
        nobody = self.Partner.create({"name": "Never bought"})
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """INSERT INTO affinity_review_flag (partner_id, company_id, kind, state, state_sequence, active,
                                                     date_flagged, note)
                   VALUES (%s, %s, 'fraud', 'to_review', 0, TRUE, CURRENT_DATE, 'Imported from the old CRM')""",
                nobody.id,
                self.company.id,
            )
        )
        self.assertFalse(nobody.affinity_to_review)
        self._recompute()
        nobody.invalidate_recordset(["affinity_to_review"])
        self.assertTrue(nobody.affinity_to_review)
        self.assertFalse(nobody.affinity_value_date, "nothing to value: no figures")
