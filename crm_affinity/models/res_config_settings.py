from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    affinity_consent_mode = fields.Selection(related="company_id.affinity_consent_mode", readonly=False)
    affinity_relationship_commercial = fields.Boolean(
        related="company_id.affinity_relationship_commercial", readonly=False
    )
    affinity_lapse_factor = fields.Float(related="company_id.affinity_lapse_factor", readonly=False)
    affinity_lapse_min_days = fields.Integer(related="company_id.affinity_lapse_min_days", readonly=False)
    group_affinity_own_only = fields.Boolean(
        string="Salesperson Scope",
        implied_group="crm_affinity.group_affinity_own_only",
        group="base.group_user",
        help="Users see affinity files only of partners they own or sell to; administrators see all.",
    )

    def action_affinity_company_windows(self):
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Default Contact Windows"),
            "res_model": "affinity.contact.window",
            "view_mode": "list",
            "domain": [("partner_id", "=", False), ("company_id", "=", self.company_id.id)],
            "context": {"default_company_id": self.company_id.id},
        }
