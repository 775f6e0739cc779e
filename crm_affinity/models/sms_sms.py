from odoo import fields, models

from ..tools.reasons import FAILURE_TYPES


class SmsSms(models.Model):
    _inherit = "sms.sms"

    failure_type = fields.Selection(selection_add=FAILURE_TYPES)
