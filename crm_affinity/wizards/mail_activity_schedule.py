from odoo import api, fields, models

from ..tools.records import partners_of


class MailActivitySchedule(models.TransientModel):
    _inherit = "mail.activity.schedule"

    affinity_caution_text = fields.Text(compute="_compute_affinity_caution_text")

    @api.depends("res_model", "res_ids")
    def _compute_affinity_caution_text(self):
        for scheduler in self:
            partners = self.env["res.partner"]
            if scheduler.res_model and scheduler.res_model in self.env:
                partners = partners_of(scheduler._get_applied_on_records().exists())
            scheduler.affinity_caution_text = partners._affinity_cautions()
