from odoo import api, models


class MailBlacklist(models.Model):
    _inherit = "mail.blacklist"

    @api.model_create_multi
    def create(self, vals_list):
        records = super().create(vals_list)
        records.filtered("active")._affinity_sync_consent(blacklisted=True)
        return records

    def write(self, vals):
        result = super().write(vals)
        if "active" in vals:
            self._affinity_sync_consent(blacklisted=vals["active"])
        return result

    def _affinity_sync_consent(self, blacklisted):
        """Blacklisting is a logged denial; lifting it withdraws the denial (it is not a grant)."""
        if self.env.context.get("affinity_from_consent") or not self:
            return
        partners = (
            self.env["res.partner"]
            .sudo()
            .with_context(active_test=False)
            .search([("email_normalized", "in", self.mapped("email"))])
        )
        partners._affinity_set_consent(
            "email",
            "marketing",
            "denied" if blacklisted else "not_asked",
            source="blacklist",
            note=self.env._("E-mail blacklisted")
            if blacklisted
            else self.env._("E-mail removed from the blacklist"),
        )
