from odoo.tests import HttpCase, tagged


@tagged("post_install", "-at_install")
class TestJourneyTours(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.ref("base.user_admin").tour_enabled = False

    def test_a_marketer_pilots_then_rolls_out_a_journey_in_turkish(self):
        self.env["res.lang"]._activate_lang("tr_TR")
        self.env["ir.module.module"]._load_module_terms(
            ["base", "crm_affinity", "crm_affinity_automation"], ["tr_TR"], overwrite=True
        )
        admin = self.env.ref("base.user_admin")
        admin.write({"lang": "tr_TR", "tz": "Europe/Istanbul"})
        self.env["automation.configuration"].search([]).active = False
        customers = self.env["res.partner"].create(
            [{"name": f"Tur Müşteri {i}", "email": f"tur{i}@example.com"} for i in range(100)]
        )
        customers._affinity_set_consent("email", "marketing", "granted", source="paper")
        refused = customers[::5]
        refused._affinity_set_consent("email", "marketing", "denied", source="paper")
        self.env["mail.template"].create(
            {
                "name": "Tur hoş geldin",
                "model_id": self.env["ir.model"]._get_id("res.partner"),
                "subject": "Hoş geldiniz",
                "partner_to": "{{ object.id }}",
                "body_html": "<p>Hoş geldiniz</p>",
            }
        )
        self.env["automation.filter"].create(
            {
                "name": "Tur müşterileri",
                "model_id": self.env["ir.model"]._get_id("res.partner"),
                "domain": repr([("name", "=like", "Tur Müşteri %")]),
            }
        )
        self.start_tour(
            "/odoo/action-automation_oca.automation_configuration_act_window/new",
            "crm_affinity_automation_pilot_tour",
            login="admin",
        )
        journey = self.env["automation.configuration"].search([("name", "=", "Tur pilot yolculuğu")])
        self.assertEqual(len(journey.automation_step_ids), 3)
        self.assertEqual(journey.automation_step_ids.affinity_purpose_id.code, "marketing")
        records = self.env["automation.record"].search([("configuration_id", "=", journey.id)])
        self.assertEqual(sorted(records.mapped("res_id")), sorted(customers.ids), "rolled out to everyone")
        control = records.filtered(lambda r: r.affinity_group == "control")
        self.assertTrue(control)
        self.assertFalse(control.automation_step_ids)
        mails = self.env["mail.mail"].search(
            [("automation_record_step_id.configuration_id", "=", journey.id)]
        )
        self.assertTrue(mails)
        self.assertFalse(mails.recipient_ids & refused, "no step reached a person the decision refuses")
        rejected = records.automation_step_ids.filtered(lambda s: s.state == "rejected")
        self.assertEqual(
            set(rejected.mapped("record_id.res_id")), set(refused.ids) - set(control.mapped("res_id"))
        )
