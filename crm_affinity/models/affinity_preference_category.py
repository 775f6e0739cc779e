from odoo import fields, models


class AffinityPreferenceCategory(models.Model):
    _name = "affinity.preference.category"
    _description = "Affinity Like/Dislike Category"
    _order = "sequence, name"

    name = fields.Char(required=True, translate=True)
    code = fields.Char(help="Technical code used by shipped data and imports.")
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)

    _sql_constraints = [
        ("code_uniq", "unique(code)", "A category with this code already exists."),
    ]
