from odoo import fields, models


class AffinityChannel(models.Model):
    _name = "affinity.channel"
    _inherit = ["affinity.coded.mixin"]
    _description = "Affinity Communication Channel"
    _order = "sequence, name"

    name = fields.Char(required=True, translate=True)
    code = fields.Char(required=True, help="Technical code: email, sms, phone, whatsapp, post, visit…")
    sequence = fields.Integer(default=10)
    address_kind = fields.Selection(
        [
            ("email", "E-mail address"),
            ("phone", "Phone or mobile number"),
            ("mobile", "Mobile number (or phone)"),
            ("street", "Postal address"),
            ("none", "No address needed"),
        ],
        required=True,
        default="none",
        help="What a partner must have for this channel to reach them.",
    )
    blacklist_kind = fields.Selection(
        [("email", "E-mail blacklist"), ("phone", "Phone blacklist"), ("none", "None")],
        required=True,
        default="none",
        help="Which Odoo blacklist also blocks marketing over this channel.",
    )
    iys_type = fields.Selection(
        [("EPOSTA", "EPOSTA"), ("MESAJ", "MESAJ"), ("ARAMA", "ARAMA")],
        string="IYS Type",
        help="Type of this channel in the Turkish commercial message registry (IYS).",
    )
    self_service = fields.Boolean(
        string="In the Preference Centre",
        default=True,
        help="People can grant or withdraw this channel themselves from their preference link.",
    )
    active = fields.Boolean(default=True)

    _sql_constraints = [
        ("code_uniq", "unique(code)", "A channel with this code already exists."),
    ]
