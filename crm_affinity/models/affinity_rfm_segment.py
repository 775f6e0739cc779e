from odoo import api, fields, models
from odoo.exceptions import ValidationError

SCORE_FIELDS = ("r_min", "r_max", "f_min", "f_max", "m_min", "m_max")


class AffinityRfmSegment(models.Model):
    """A box on the RFM grid: the first active segment, by sequence, whose ranges hold the scores wins."""

    _name = "affinity.rfm.segment"
    _inherit = ["affinity.cached.names.mixin"]
    _description = "Affinity RFM Segment"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    color = fields.Integer()
    pressure_day = fields.Integer(string="Contact Budget per 24 Hours", help="0: the company's budget.")
    pressure_week = fields.Integer(string="Contact Budget per 7 Days", help="0: the company's budget.")
    pressure_month = fields.Integer(string="Contact Budget per 30 Days", help="0: the company's budget.")
    description = fields.Text(translate=True, help="What to do with the customers of this segment.")
    r_min = fields.Integer(string="Recency From", default=1, required=True)
    r_max = fields.Integer(string="Recency To", default=5, required=True)
    f_min = fields.Integer(string="Frequency From", default=1, required=True)
    f_max = fields.Integer(string="Frequency To", default=5, required=True)
    m_min = fields.Integer(string="Monetary From", default=1, required=True)
    m_max = fields.Integer(string="Monetary To", default=5, required=True)
    partner_count = fields.Integer(string="Customers", compute="_compute_partner_count")

    def _compute_partner_count(self):
        counts = dict(
            self.env["res.partner"]._read_group(
                [("affinity_segment_id", "in", self.ids)], ["affinity_segment_id"], ["__count"]
            )
        )
        for segment in self:
            segment.partner_count = counts.get(segment, 0)

    @api.constrains(*SCORE_FIELDS)
    def _check_ranges(self):
        for segment in self:
            values = [segment[name] for name in SCORE_FIELDS]
            if any(value < 1 or value > 5 for value in values):
                raise ValidationError(
                    self.env._("RFM scores run from 1 to 5: check the ranges of segment %s.", segment.name)
                )
            for low, high in zip(values[::2], values[1::2], strict=True):
                if low > high:
                    raise ValidationError(
                        self.env._("A range of segment %s ends before it starts.", segment.name)
                    )

    def action_open_customers(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crm_affinity.res_partner_affinity_customers_action"
        )
        action["domain"] = [("affinity_segment_id", "=", self.id)]
        action["display_name"] = self.name
        return action
