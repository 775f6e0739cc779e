from odoo import fields, models

from ..tools.reasons import FAILURE_TYPES


class MailingTrace(models.Model):
    _inherit = "mailing.trace"

    failure_type = fields.Selection(selection_add=FAILURE_TYPES)
