from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import new_test_user, tagged

from .common import JourneyCase


@tagged("post_install", "-at_install")
class TestJourneyPilot(JourneyCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customers = cls.Partner.create(
            [
                {"name": f"Müşteri {i}", "email": f"m{i}@example.com", "company_id": cls.company.id}
                for i in range(200)
            ]
        )
        cls.customers._affinity_set_consent("email", "marketing", "granted", source="paper")

    def groups(self, journey):
        records = self.env["automation.record"].search([("configuration_id", "=", journey.id)])
        return {
            group: records.filtered(lambda r, g=group: r.affinity_group == g)
            for group in ("pilot", "control", "rollout")
        }

    def test_a_pilot_enters_a_share_and_holds_out_a_control_group(self):
        journey = self.journey(self.customers, affinity_pilot=True)
        self.step(journey)
        self.start(journey)
        groups = self.groups(journey)
        pilot, control = groups["pilot"], groups["control"]
        # 10 % of 200 each: 20 expected, a binomial spread of about 4.
        self.assertTrue(8 <= len(pilot) <= 35, len(pilot))
        self.assertTrue(8 <= len(control) <= 35, len(control))
        self.assertFalse(groups["rollout"])
        self.assertFalse(set(pilot.mapped("res_id")) & set(control.mapped("res_id")))
        self.assertEqual(pilot.automation_step_ids.mapped("configuration_step_id.configuration_id"), journey)
        self.assertEqual(len(pilot.automation_step_ids), len(pilot))
        self.assertFalse(control.automation_step_ids, "the control group gets no step")
        self.assertEqual(pilot.affinity_partner_id.ids, pilot.mapped("res_id"))
        # Entering again changes nothing: those left out wait for the rollout.
        journey.run_automation()
        self.assertEqual(len(self.groups(journey)["pilot"]), len(pilot))

    def test_the_draw_is_reproducible_and_differs_between_journeys(self):
        first = self.journey(self.customers, affinity_pilot=True)
        self.step(first)
        self.start(first)
        drawn = {group: set(records.mapped("res_id")) for group, records in self.groups(first).items()}
        self.env["automation.record"].search([("configuration_id", "=", first.id)]).unlink()
        first.run_automation()
        again = {group: set(records.mapped("res_id")) for group, records in self.groups(first).items()}
        self.assertEqual(again, drawn)
        second = self.journey(self.customers, affinity_pilot=True)
        self.step(second)
        self.start(second)
        self.assertNotEqual(set(self.groups(second)["pilot"].mapped("res_id")), drawn["pilot"])

    def test_rollout_enters_everyone_else_in_one_click(self):
        journey = self.journey(self.customers, affinity_pilot=True)
        self.step(journey)
        self.start(journey)
        before = self.groups(journey)
        journey.action_affinity_rollout()
        after = self.groups(journey)
        self.assertEqual(after["pilot"], before["pilot"])
        self.assertEqual(after["control"], before["control"])
        self.assertFalse(after["control"].automation_step_ids, "the control group stays held out")
        entered = after["pilot"] | after["control"] | after["rollout"]
        self.assertEqual(sorted(entered.mapped("res_id")), sorted(self.customers.ids))
        self.assertEqual(
            len(after["rollout"].automation_step_ids), 200 - len(before["pilot"]) - len(before["control"])
        )
        with self.assertRaises(UserError):
            journey.action_affinity_rollout()

    def test_pilot_and_control_figures_side_by_side(self):
        customers = self.customers[:20]
        journey = self.journey(
            customers, affinity_pilot=True, affinity_pilot_share=50, affinity_control_share=50
        )
        self.step(journey)
        self.start(journey)
        self.run_due()
        groups = self.groups(journey)
        pilot, control = groups["pilot"], groups["control"]
        self.assertEqual(len(pilot) + len(control), 20)
        steps = pilot.automation_step_ids.sorted("id")
        steps[0]._set_mail_open()
        steps[1]._set_mail_reply()
        product = self.env["product.product"].create({"name": "Hediye kutusu", "list_price": 100.0})

        def buy(partner, price):
            order = self.env["sale.order"].create(
                {
                    "partner_id": partner.id,
                    "order_line": [
                        (
                            0,
                            0,
                            {
                                "product_id": product.id,
                                "product_uom_qty": 1,
                                "price_unit": price,
                                "tax_id": [],
                            },
                        )
                    ],
                }
            )
            order.action_confirm()

        pilot_partner = self.Partner.browse(pilot[0].res_id)
        control_partner = self.Partner.browse(control[0].res_id)
        buy(pilot_partner, 100.0)
        buy(control_partner, 50.0)
        # A quotation never confirmed is no purchase.
        self.env["sale.order"].create({"partner_id": pilot_partner.id})
        self.Partner.browse(control[1].res_id)._affinity_set_consent(
            "email", "marketing", "denied", source="paper"
        )
        kpis = journey._affinity_kpis()
        self.assertEqual(
            kpis["pilot"],
            {
                "entered": len(pilot),
                "reached": len(pilot),
                "opened": 2,
                "replied": 1,
                "bought": 1,
                "revenue": 100.0 / len(pilot),
                "unsubscribed": 0,
            },
        )
        self.assertEqual(
            kpis["control"],
            {
                "entered": len(control),
                "reached": 0,
                "opened": 0,
                "replied": 0,
                "bought": 1,
                "revenue": 50.0 / len(control),
                "unsubscribed": 1,
            },
        )
        html = str(journey.affinity_kpi_html)
        self.assertIn(
            f"data-kpi='bought' data-group='pilot' data-value='1'>1 ({100 / len(pilot):.1f} %)<", html
        )
        self.assertIn(
            f"data-kpi='unsubscribed' data-group='control' data-value='1'>1 ({100 / len(control):.1f} %)<",
            html,
        )

    def test_shares_outside_0_to_100_are_refused_naming_the_field(self):
        with self.assertRaisesRegex(ValidationError, "Pilot Share"):
            self.journey(self.customers, affinity_pilot=True, affinity_pilot_share=120)
        with self.assertRaisesRegex(ValidationError, "together"):
            self.journey(
                self.customers, affinity_pilot=True, affinity_pilot_share=60, affinity_control_share=60
            )


@tagged("post_install", "-at_install")
class TestJourneySecurity(JourneyCase):
    def test_who_sees_the_comparison_and_who_rolls_out(self):
        marketer = new_test_user(
            self.env, "journey_marketer", groups="base.group_user,automation_oca.group_automation_user"
        )
        manager = new_test_user(
            self.env, "journey_manager", groups="base.group_user,automation_oca.group_automation_manager"
        )
        outsider = new_test_user(self.env, "journey_outsider", groups="base.group_user")
        journey = self.journey(self.partner, affinity_pilot=True)
        self.step(journey)
        self.start(journey)
        self.assertIn("o_affinity_journey_kpis", str(journey.with_user(marketer).affinity_kpi_html))
        with self.assertRaises(AccessError):
            journey.with_user(outsider).read(["affinity_kpi_html"])
        with self.assertRaises(AccessError):
            journey.with_user(marketer).action_affinity_rollout()
        journey.with_user(manager).action_affinity_rollout()
        self.assertTrue(journey.affinity_rolled_out)
