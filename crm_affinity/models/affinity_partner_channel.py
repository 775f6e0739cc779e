from odoo import fields, models


class AffinityPartnerChannel(models.Model):
    """A partner's channel preference: its rank and the caution to keep in mind when using it."""

    _name = "affinity.partner.channel"
    _description = "Affinity Partner Channel Preference"
    _order = "partner_id, sequence, id"

    partner_id = fields.Many2one("res.partner", required=True, ondelete="cascade", index=True)
    channel_id = fields.Many2one("affinity.channel", required=True, ondelete="cascade")
    sequence = fields.Integer(default=10)
    caution = fields.Text(
        help="Shown as a warning whenever someone writes to this partner over this channel, "
        "e.g. 'Her brother reads her SMS — keep it neutral.'"
    )

    _sql_constraints = [
        ("partner_channel_uniq", "unique(partner_id, channel_id)", "A channel is listed once per partner."),
    ]
