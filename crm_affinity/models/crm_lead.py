from odoo import models


class CrmLead(models.Model):
    _inherit = "crm.lead"

    def action_set_won(self):
        result = super().action_set_won()
        self.partner_id._affinity_bump_interaction()
        self.partner_id.sudo()._affinity_fill_attribution()
        return result
