from odoo import fields, models


class MailActivityType(models.Model):
    _inherit = "mail.activity.type"

    affinity_unit_cost = fields.Float(
        string="Cost to Serve per Activity",
        help="What one done activity of this type costs (company currency); counted in cost to serve.",
    )
