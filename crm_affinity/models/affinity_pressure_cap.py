from odoo import api, fields, models
from odoo.exceptions import ValidationError


class AffinityPressureCap(models.Model):
    """A cap on one channel beside the budget across all channels: at most so many SMS a week, say."""

    _name = "affinity.pressure.cap"
    _description = "Affinity Contact Budget per Channel"
    _order = "company_id, channel_id, period"

    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True
    )
    channel_id = fields.Many2one("affinity.channel", required=True, ondelete="cascade")
    period = fields.Selection(
        [("day", "Per 24 hours"), ("week", "Per 7 days"), ("month", "Per 30 days")],
        required=True,
        default="week",
    )
    limit = fields.Integer(string="At Most", required=True, default=1)

    _sql_constraints = [
        (
            "company_channel_period_uniq",
            "unique(company_id, channel_id, period)",
            "One cap per channel and period.",
        ),
    ]

    @api.constrains("limit")
    def _check_limit(self):
        for cap in self:
            if cap.limit < 1:
                raise ValidationError(self.env._("A channel cap allows at least one message."))

    @api.model
    def _caps(self, company_ids, channel):
        """{company_id: {period: limit}} of this channel."""
        caps = {}
        for cap in self.sudo().search(
            [("company_id", "in", list(company_ids)), ("channel_id", "=", channel.id)]
        ):
            caps.setdefault(cap.company_id.id, {})[cap.period] = cap.limit
        return caps
