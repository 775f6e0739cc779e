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
