from odoo import api, fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    affinity_consent_mode = fields.Selection(related="company_id.affinity_consent_mode", readonly=False)
    affinity_reach_half_life = fields.Integer(related="company_id.affinity_reach_half_life", readonly=False)
    affinity_tasks_per_day = fields.Integer(related="company_id.affinity_tasks_per_day", readonly=False)
    affinity_pressure_day = fields.Integer(related="company_id.affinity_pressure_day", readonly=False)
    affinity_pressure_week = fields.Integer(related="company_id.affinity_pressure_week", readonly=False)
    affinity_pressure_month = fields.Integer(related="company_id.affinity_pressure_month", readonly=False)
    affinity_double_optin = fields.Boolean(related="company_id.affinity_double_optin", readonly=False)
    affinity_optin_days = fields.Integer(related="company_id.affinity_optin_days", readonly=False)
    affinity_optin_sender = fields.Char(
        string="Confirmations Sent From",
        compute="_compute_affinity_optin_sender",
        help="The company's e-mail address, else Odoo's default sender: without one no confirmation leaves.",
    )
    affinity_preference_link_days = fields.Integer(
        related="company_id.affinity_preference_link_days", readonly=False
    )
    affinity_capture_limit_ip = fields.Integer(
        string="Capture: Posts per Hour and IP",
        config_parameter="crm_affinity.capture_limit_ip",
        default=20,
    )
    affinity_capture_limit_address = fields.Integer(
        string="Capture: Posts per Hour and Address",
        config_parameter="crm_affinity.capture_limit_address",
        default=3,
    )
    affinity_relationship_commercial = fields.Boolean(
        related="company_id.affinity_relationship_commercial", readonly=False
    )
    affinity_lapse_factor = fields.Float(related="company_id.affinity_lapse_factor", readonly=False)
    affinity_lapse_min_days = fields.Integer(related="company_id.affinity_lapse_min_days", readonly=False)
    affinity_value_months = fields.Integer(related="company_id.affinity_value_months", readonly=False)
    affinity_ltv_years = fields.Float(related="company_id.affinity_ltv_years", readonly=False)
    affinity_complaint_cost = fields.Float(related="company_id.affinity_complaint_cost", readonly=False)
    affinity_complaint_threshold = fields.Integer(
        related="company_id.affinity_complaint_threshold", readonly=False
    )
    affinity_complaint_months = fields.Integer(related="company_id.affinity_complaint_months", readonly=False)
    affinity_late_share = fields.Float(related="company_id.affinity_late_share", readonly=False)
    affinity_late_days = fields.Float(related="company_id.affinity_late_days", readonly=False)
    affinity_late_min_invoices = fields.Integer(
        related="company_id.affinity_late_min_invoices", readonly=False
    )
    affinity_deal_share = fields.Float(related="company_id.affinity_deal_share", readonly=False)
    affinity_deal_min_orders = fields.Integer(related="company_id.affinity_deal_min_orders", readonly=False)
    affinity_vip_percent = fields.Float(related="company_id.affinity_vip_percent", readonly=False)
    affinity_value_computed_at = fields.Datetime(related="company_id.affinity_value_computed_at")
    group_affinity_own_only = fields.Boolean(
        string="Salesperson Scope",
        implied_group="crm_affinity.group_affinity_own_only",
        group="base.group_user",
        help="Users see affinity files only of partners they own or sell to; administrators see all.",
    )

    def action_affinity_relearn_reachability(self):
        """Learn every person's reachability again from all the evidence (after a change of half-life)."""
        self.env["affinity.reachability"].action_relearn()
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "message": self.env._("Reachability learned again from all the evidence."),
                "type": "success",
                "sticky": False,
            },
        }

    def action_affinity_company_windows(self):
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Default Contact Windows"),
            "res_model": "affinity.contact.window",
            "view_mode": "list",
            "domain": [("partner_id", "=", False), ("company_id", "=", self.company_id.id)],
            "context": {"default_company_id": self.company_id.id},
        }

    def action_affinity_pressure_caps(self):
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Caps per Channel"),
            "res_model": "affinity.pressure.cap",
            "view_mode": "list",
            "domain": [("company_id", "=", self.company_id.id)],
            "context": {"default_company_id": self.company_id.id},
        }

    def action_affinity_recompute_value(self):
        return self.env["affinity.customer.value"].action_recompute()

    def action_affinity_activity_costs(self):
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Activity Unit Costs"),
            "res_model": "mail.activity.type",
            "view_mode": "list,form",
            "views": [
                (self.env.ref("crm_affinity.mail_activity_type_view_list_cost").id, "list"),
                (False, "form"),
            ],
        }

    @api.depends("company_id", "company_id.email", "affinity_double_optin")
    def _compute_affinity_optin_sender(self):
        centre = self.env["affinity.preference.centre"].sudo()
        for settings in self:
            settings.affinity_optin_sender = centre._optin_sender(settings.company_id)
