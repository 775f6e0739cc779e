from odoo import models

from ..tools.phone import partner_ids_on_lines, phone_key


class PhoneBlacklist(models.Model):
    _name = "phone.blacklist"
    _inherit = ["phone.blacklist", "affinity.blacklist.sync.mixin"]

    def _affinity_blacklisted_partners(self):
        """Every number of a partner counts: its mobile and its phone."""
        keys = [phone_key(number) for number in self.mapped("number")]
        return self.env["res.partner"].sudo().browse(partner_ids_on_lines(self.env, keys))

    def _affinity_channel_and_note(self, blacklisted):
        note = (
            self.env._("Number blacklisted")
            if blacklisted
            else self.env._("Number removed from the blacklist")
        )
        return "sms", note
