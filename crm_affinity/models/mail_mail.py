from odoo import fields, models

from .affinity_reasons import FAILURE_TYPES


class MailMail(models.Model):
    _inherit = "mail.mail"

    failure_type = fields.Selection(selection_add=FAILURE_TYPES)
