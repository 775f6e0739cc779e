"""Journeys for the tests: a configuration on partners, steps of each kind, and a way to run them."""

from odoo.addons.crm_affinity.tests.common import AffinityCase


class JourneyCase(AffinityCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # automation_oca's own suites switch its configurations off in the same way: ours start from none.
        cls.env["automation.configuration"].search([]).active = False
        cls.partner.company_id = cls.company
        cls.partner_other.company_id = cls.company
        cls.template = cls.env["mail.template"].create(
            {
                "name": "Journey test",
                "model_id": cls.env["ir.model"]._get_id("res.partner"),
                "subject": "Hello",
                "partner_to": "{{ object.id }}",
                "body_html": "<p>Hello</p>",
            }
        )
        cls.sms_template = cls.env["sms.template"].create(
            {
                "name": "Journey SMS",
                "model_id": cls.env["ir.model"]._get_id("res.partner"),
                "body": "Hello {{ object.name }}",
            }
        )
        cls.call_type = cls.env.ref("mail.mail_activity_data_call")

    def journey(self, partners, name="Journey", **values):
        return self.env["automation.configuration"].create(
            {
                "name": name,
                "model_id": self.env["ir.model"]._get_id("res.partner"),
                "editable_domain": repr([("id", "in", partners.ids)]),
                **values,
            }
        )

    def step(self, journey, step_type="mail", parent=None, **values):
        kind = {
            "mail": {"mail_template_id": self.template.id},
            "sms": {"sms_template_id": self.sms_template.id},
            "activity": {"activity_type_id": self.call_type.id, "activity_summary": "Call them"},
            "action": {},
        }[step_type]
        return self.env["automation.configuration.step"].create(
            {
                "name": f"{step_type} step",
                "configuration_id": journey.id,
                "step_type": step_type,
                "parent_id": parent.id if parent else False,
                "trigger_type": "after_step" if parent else "start",
                **kind,
                **values,
            }
        )

    def start(self, journey):
        journey.start_automation()
        journey.run_automation()
        return self.env["automation.record"].search([("configuration_id", "=", journey.id)])

    def run_due(self):
        self.env["automation.record.step"]._cron_automation_steps()

    def step_of(self, journey, partner, config_step=None):
        domain = [("configuration_id", "=", journey.id), ("record_id.res_id", "=", partner.id)]
        if config_step:
            domain.append(("configuration_step_id", "=", config_step.id))
        return self.env["automation.record.step"].search(domain)
