from odoo import fields, models


class AffinityProfile(models.Model):
    """The private part of a partner's information file, kept apart so record rules can guard it."""

    _name = "affinity.profile"
    _description = "Affinity Profile"
    _rec_name = "partner_id"

    partner_id = fields.Many2one("res.partner", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="partner_id.company_id", store=True, index=True)
    salutation = fields.Char(string="Form of Address")
    nickname = fields.Char()
    conversation_openers = fields.Html(sanitize_style=True)
    notes = fields.Html(sanitize_style=True)

    _sql_constraints = [
        ("partner_uniq", "unique(partner_id)", "A partner has one affinity profile."),
    ]
