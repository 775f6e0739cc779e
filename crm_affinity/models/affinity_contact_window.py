from odoo import api, fields, models
from odoo.exceptions import ValidationError

WEEKDAYS = [
    ("0", "Monday"),
    ("1", "Tuesday"),
    ("2", "Wednesday"),
    ("3", "Thursday"),
    ("4", "Friday"),
    ("5", "Saturday"),
    ("6", "Sunday"),
]


class AffinityContactWindow(models.Model):
    """When a partner may be reached, in the partner's own timezone; company rows are the default."""

    _name = "affinity.contact.window"
    _description = "Affinity Contact Window"
    _order = "partner_id, channel_id, weekday, hour_from"

    partner_id = fields.Many2one("res.partner", ondelete="cascade", index=True)
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    channel_id = fields.Many2one("affinity.channel", ondelete="cascade", help="Empty: every channel.")
    weekday = fields.Selection(WEEKDAYS, required=True)
    hour_from = fields.Float(required=True, default=9.0)
    hour_to = fields.Float(required=True, default=18.0)

    @api.constrains("hour_from", "hour_to")
    def _check_hours(self):
        for window in self:
            if not 0 <= window.hour_from < window.hour_to <= 24:
                raise ValidationError(
                    self.env._("A contact window runs from an hour before its end, between 00:00 and 24:00.")
                )

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("partner_id") and not vals.get("company_id"):
                partner = self.env["res.partner"].browse(vals["partner_id"])
                vals["company_id"] = (partner.company_id or self.env.company).id
        return super().create(vals_list)
