from odoo import api, models
from odoo.tools import SQL


class AffinityContactPressure(models.AbstractModel):
    _inherit = "affinity.contact.pressure"

    @api.model
    def _other_contacts_query(self, since, until, counted=None, releasing=()):
        """Journey steps that reached a person count against the budget as mailings and follow-ups do: read
        from the steps themselves (never kept twice), for a purpose that counts."""
        self.env["automation.record.step"].flush_model()
        self.env["automation.configuration.step"].flush_model(["affinity_purpose_id"])
        return SQL(
            """%(others)s
            UNION ALL
            SELECT s.affinity_partner_id AS partner_id, s.processed_on AS at, ch.code AS kind
              FROM automation_record_step s
              JOIN automation_configuration_step cs ON cs.id = s.configuration_step_id
              JOIN affinity_purpose pu ON pu.id = cs.affinity_purpose_id AND pu.pressure
              JOIN affinity_channel ch ON ch.id = s.affinity_channel_id
             WHERE s.affinity_partner_id IS NOT NULL AND s.state = 'done'
               AND s.processed_on > %(since)s AND s.processed_on <= %(until)s
               AND NOT COALESCE(s.is_test, FALSE)""",
            others=super()._other_contacts_query(since, until, counted, releasing),
            since=since,
            until=until,
        )
