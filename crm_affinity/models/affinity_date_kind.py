from odoo import api, fields, models
from odoo.exceptions import ValidationError


class AffinityDateKind(models.Model):
    _name = "affinity.date.kind"
    _description = "Affinity Important Date Kind"
    _order = "sequence, name"

    name = fields.Char(required=True, translate=True)
    code = fields.Char(help="Technical code used by follow-up rules and imports.")
    sequence = fields.Integer(default=10)
    default_lead_days = fields.Integer(
        default=3, help="Days before the date a reminder is due, unless the date says otherwise."
    )
    year_in_past = fields.Boolean(
        string="Year Cannot Be in the Future",
        help="A birthday cannot lie in the future; other dates may be planned.",
    )
    active = fields.Boolean(default=True)

    _sql_constraints = [
        ("code_uniq", "unique(code)", "A date kind with this code already exists."),
    ]

    @api.constrains("default_lead_days")
    def _check_default_lead_days(self):
        for kind in self:
            if kind.default_lead_days < 0:
                raise ValidationError(self.env._("Reminder lead days cannot be negative."))
