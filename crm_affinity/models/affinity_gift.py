from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

REACTION_POLARITY = {"loved": "like", "disliked": "dislike"}


class AffinityGift(models.Model):
    _name = "affinity.gift"
    _description = "Affinity Gift"
    _order = "date desc, id desc"

    partner_id = fields.Many2one("res.partner", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="partner_id.company_id", store=True, index=True)
    date = fields.Date(required=True, default=fields.Date.context_today)
    occasion = fields.Char()
    name = fields.Char(string="Gift", required=True)
    category_id = fields.Many2one(
        "affinity.preference.category", default=lambda self: self._default_category()
    )
    currency_id = fields.Many2one(
        "res.currency", required=True, default=lambda self: self.env.company.currency_id
    )
    cost = fields.Monetary()
    reaction = fields.Selection([("loved", "Loved"), ("fine", "Fine"), ("disliked", "Disliked")])
    preference_id = fields.Many2one("affinity.preference", readonly=True, ondelete="set null")

    @api.constrains("cost")
    def _check_cost(self):
        for gift in self:
            if gift.cost < 0:
                raise ValidationError(self.env._("A gift cannot cost less than nothing: %s", gift.name))

    def action_reaction_to_preference(self):
        """Turn 'she loved the roses' into a like line, so the next gift is chosen well."""
        for gift in self:
            polarity = REACTION_POLARITY.get(gift.reaction)
            if not polarity:
                raise UserError(
                    self.env._(
                        "Only a gift that was loved or disliked becomes a like or dislike: %s", gift.name
                    )
                )
            if gift.preference_id:
                gift.preference_id.polarity = polarity
                continue
            gift.preference_id = self.env["affinity.preference"].create(
                {
                    "partner_id": gift.partner_id.id,
                    "category_id": (gift.category_id or self._default_category()).id,
                    "polarity": polarity,
                    "name": gift.name,
                    "note": self.env._(
                        "From gift of %(date)s (%(occasion)s)", date=gift.date, occasion=gift.occasion or "-"
                    ),
                }
            )
        return True

    @api.model
    def _default_category(self):
        return self.env.ref("crm_affinity.affinity_preference_category_gift", raise_if_not_found=False)
