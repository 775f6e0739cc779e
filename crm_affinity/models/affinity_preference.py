from odoo import fields, models


class AffinityPreference(models.Model):
    _name = "affinity.preference"
    _description = "Affinity Like or Dislike"
    _order = "partner_id, polarity, category_id, id"

    partner_id = fields.Many2one("res.partner", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="partner_id.company_id", store=True, index=True)
    category_id = fields.Many2one("affinity.preference.category", required=True, ondelete="restrict")
    polarity = fields.Selection(
        [("like", "Likes"), ("dislike", "Dislikes"), ("never", "Never offer")],
        required=True,
        default="like",
    )
    name = fields.Char(string="What", required=True)
    note = fields.Char()
