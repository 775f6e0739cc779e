from odoo import api, fields, models
from odoo.exceptions import ValidationError


class AffinityMarketingSpend(models.Model):
    """What a source, medium or campaign cost over a period: the denominator of CAC and ROI."""

    _name = "affinity.marketing.spend"
    _description = "Affinity Marketing Spend"
    _order = "date_from desc, id desc"

    name = fields.Char(string="Description")
    date_from = fields.Date(required=True)
    date_to = fields.Date(required=True)
    campaign_id = fields.Many2one("utm.campaign", index=True)
    source_id = fields.Many2one("utm.source", index=True)
    medium_id = fields.Many2one("utm.medium", index=True)
    amount = fields.Monetary(required=True)
    currency_id = fields.Many2one(
        "res.currency", required=True, default=lambda self: self.env.company.currency_id
    )
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    note = fields.Text()

    @api.constrains("campaign_id", "source_id", "medium_id", "amount", "date_from", "date_to")
    def _check_spend(self):
        for spend in self:
            if spend.amount < 0:
                raise ValidationError(self.env._("A spend cannot be negative."))
            if spend.date_from and spend.date_to and spend.date_from > spend.date_to:
                raise ValidationError(self.env._("A spend period ends after it starts."))
            if not (spend.campaign_id or spend.source_id or spend.medium_id):
                raise ValidationError(self.env._("A spend belongs to a campaign, a source or a medium."))
