from odoo import api, fields, models

from ..tools.records import partners_of


class MailActivity(models.Model):
    _inherit = "mail.activity"

    affinity_caution_text = fields.Text(compute="_compute_affinity_caution_text")

    @api.depends("res_model", "res_id")
    def _compute_affinity_caution_text(self):
        for activity in self:
            partners = self.env["res.partner"]
            if activity.res_model and activity.res_id and activity.res_model in self.env:
                record = self.env[activity.res_model].browse(activity.res_id).exists()
                partners = partners_of(record)
            activity.affinity_caution_text = partners._affinity_cautions()

    def _action_done(self, feedback=False, attachment_ids=None):
        """Marking a follow-up's activity done marks the follow-up done: it happened."""
        followups = (
            self.env["affinity.followup"]
            .sudo()
            .search([("activity_id", "in", self.ids), ("state", "in", ("planned", "sent"))])
        )
        if followups:
            followups._record_done(origin="activity", feedback=feedback)
        return super()._action_done(feedback=feedback, attachment_ids=attachment_ids)
