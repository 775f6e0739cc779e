from odoo import fields, models


class AffinityPurpose(models.Model):
    _name = "affinity.purpose"
    _inherit = ["affinity.coded.mixin"]
    _description = "Affinity Communication Purpose"
    _order = "sequence, name"

    name = fields.Char(required=True, translate=True)
    code = fields.Char(required=True, help="Technical code: marketing, service, relationship.")
    sequence = fields.Integer(default=10)
    requires_consent = fields.Boolean(
        help="In opt-in mode, a partner who was never asked cannot be contacted for this purpose."
    )
    self_service = fields.Boolean(
        string="In the Preference Centre",
        help="People can grant or withdraw this purpose themselves from their preference link.",
    )
    pressure = fields.Boolean(
        string="Counts Against the Contact Budget",
        help="Commercial: messages of this purpose count against each person's contact budget, wait on "
        "quiet days and are held back over the budget. Service messages never count.",
    )
    description = fields.Text(
        translate=True, help="What people read in the preference centre about this purpose."
    )
    active = fields.Boolean(default=True)

    _sql_constraints = [
        ("code_uniq", "unique(code)", "A purpose with this code already exists."),
    ]
