from odoo import api, fields, models


class MailActivity(models.Model):
    _inherit = "mail.activity"

    affinity_caution_text = fields.Text(compute="_compute_affinity_caution_text")

    @api.depends("res_model", "res_id")
    def _compute_affinity_caution_text(self):
        for activity in self:
            partners = self.env["res.partner"]
            if activity.res_model and activity.res_id and activity.res_model in self.env:
                record = self.env[activity.res_model].browse(activity.res_id).exists()
                partners = record._affinity_partners_of_record()
            activity.affinity_caution_text = partners._affinity_cautions()

    def _action_done(self, feedback=False, attachment_ids=None):
        """Marking a follow-up's activity done marks the follow-up done: it happened."""
        if not self.env.context.get("affinity_from_followup"):
            followups = (
                self.env["affinity.followup"]
                .sudo()
                .search([("activity_id", "in", self.ids), ("state", "in", ("planned", "sent"))])
            )
            if followups:
                followups.write(
                    {
                        "state": "done",
                        "done_date": fields.Datetime.now(),
                        "outcome": "successful",
                        "outcome_note": feedback or False,
                    }
                )
        return super()._action_done(feedback=feedback, attachment_ids=attachment_ids)
