from odoo import models


class MailBlacklist(models.Model):
    _name = "mail.blacklist"
    _inherit = ["mail.blacklist", "affinity.blacklist.sync.mixin"]

    def _affinity_blacklisted_partners(self):
        return (
            self.env["res.partner"]
            .sudo()
            .with_context(active_test=False)
            .search([("email_normalized", "in", self.mapped("email"))])
        )

    def _affinity_channel_and_note(self, blacklisted):
        note = (
            self.env._("E-mail blacklisted")
            if blacklisted
            else self.env._("E-mail removed from the blacklist")
        )
        return "email", note
