from odoo import fields, models


class MailActivityType(models.Model):
    _inherit = "mail.activity.type"

    affinity_unit_cost = fields.Float(
        string="Cost to Serve per Activity",
        help="What one done activity of this type costs (company currency); counted in cost to serve.",
    )
    affinity_channel_id = fields.Many2one(
        "affinity.channel",
        string="Reaches the Customer By",
        ondelete="set null",
        help="The channel a person uses to carry out an activity of this type (a call: phone; a meeting: "
        "visit). A follow-up hands such an activity to a person only where the consent decision allows "
        "that channel. Empty: an internal task that reaches nobody.",
    )
