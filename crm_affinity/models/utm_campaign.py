from odoo import fields, models


class UtmCampaign(models.Model):
    _inherit = "utm.campaign"

    affinity_pilot_of_id = fields.Many2one(
        "utm.campaign",
        string="Pilot Of",
        index=True,
        help="This campaign was the small trial of that one: compare them before the next big campaign.",
    )
    affinity_pilot_ids = fields.One2many("utm.campaign", "affinity_pilot_of_id", string="Pilots")

    def action_affinity_compare_pilot(self):
        """Pilot and rollout side by side, on the same figures, over their whole life."""
        self.ensure_one()
        rollout = self.affinity_pilot_of_id or self
        campaigns = rollout | rollout.affinity_pilot_ids
        score = self.env["affinity.campaign.score"].create(
            {
                "date_from": fields.Date.to_date("2000-01-01"),
                "date_to": fields.Date.context_today(self),
                "dimension": "campaign",
                "campaign_ids": [(6, 0, campaigns.ids)],
            }
        )
        return score.action_compute()
