from odoo import fields, models

from ..models.affinity_contact_window import WEEKDAYS


class AffinityReachabilityPattern(models.Model):
    """Each company's and segment's answers per channel and hour of the week, kept by the learning run.

    The priors a person with little evidence is shrunk toward, and the pivot of best hours and channels per
    segment. Rows without a segment are the company's pattern. Rebuilt by ``affinity.reachability._learn``."""

    _name = "affinity.reachability.pattern"
    _description = "Affinity Reachability per Segment"
    _order = "company_id, segment_id, channel_id, slot"
    _log_access = False
    _rec_name = "channel_id"

    company_id = fields.Many2one("res.company", readonly=True, index=True)
    segment_id = fields.Many2one("affinity.rfm.segment", readonly=True, ondelete="cascade")
    channel_id = fields.Many2one("affinity.channel", readonly=True, ondelete="cascade")
    slot = fields.Integer(readonly=True, aggregator=False)
    weekday = fields.Selection(WEEKDAYS, readonly=True)
    hour = fields.Integer(readonly=True, aggregator=False)
    contacts = fields.Float(readonly=True, digits=(16, 1), help="Recency-weighted contacts in this hour.")
    answers = fields.Float(
        readonly=True,
        digits=(16, 1),
        help="Recency-weighted answers within two hours of a contact in this hour.",
    )
    later = fields.Float(
        string="Later Answers",
        readonly=True,
        digits=(16, 1),
        help="Recency-weighted answers that came in this hour, later than their contact or unprompted.",
    )
    level_strength = fields.Float(
        string="Level Prior Strength",
        readonly=True,
        digits=(16, 1),
        help="How many contacts' worth of the segment's answer rate a customer's own rate on this channel is "
        "weighed against, fitted on the company's customers: large when customers differ little beyond chance.",
    )
    rate = fields.Float(
        string="Answer Rate (%)",
        readonly=True,
        aggregator="avg",
        digits=(16, 1),
        help="Chance of an answer in this hour, shrunk toward the company's pattern where evidence is thin.",
    )
