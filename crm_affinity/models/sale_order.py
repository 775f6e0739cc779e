from odoo import models


class SaleOrder(models.Model):
    _inherit = "sale.order"

    def action_confirm(self):
        result = super().action_confirm()
        self.partner_id._affinity_bump_interaction()
        self.partner_id.sudo()._affinity_refresh_purchase_rhythm()
        self.partner_id.sudo()._affinity_fill_attribution()
        return result
