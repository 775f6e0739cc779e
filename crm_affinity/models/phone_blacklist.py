from odoo import models
from odoo.tools import SQL

from .res_partner import phone_key


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
                """SELECT id FROM res_partner
                    WHERE right(regexp_replace(COALESCE(mobile, ''), '\\D', '', 'g'), 10) = ANY(%(keys)s)
                       OR right(regexp_replace(COALESCE(phone, ''), '\\D', '', 'g'), 10) = ANY(%(keys)s)""",
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
