from odoo import models
from odoo.tools import SQL

from ..tools.phone import phone_key, phone_key_sql


class PhoneBlacklist(models.Model):
    _name = "phone.blacklist"
    _inherit = ["phone.blacklist", "affinity.blacklist.sync.mixin"]

    def _affinity_blacklisted_partners(self):
        """Every number of a partner counts: its mobile and its phone."""
        keys = [key for key in (phone_key(number) for number in self.mapped("number")) if key]
        if not keys:
            return self.env["res.partner"]
        self.env["res.partner"].flush_model(["phone", "mobile"])
        rows = self.env.execute_query(
            SQL(
                "SELECT id FROM res_partner WHERE %(mobile)s = ANY(%(keys)s) OR %(phone)s = ANY(%(keys)s)",
                mobile=phone_key_sql(SQL("mobile")),
                phone=phone_key_sql(SQL("phone")),
                keys=keys,
            )
        )
        return self.env["res.partner"].sudo().browse([row[0] for row in rows])

    def _affinity_channel_and_note(self, blacklisted):
        note = (
            self.env._("Number blacklisted")
            if blacklisted
            else self.env._("Number removed from the blacklist")
        )
        return "sms", note
