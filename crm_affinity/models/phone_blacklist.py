from odoo import api, models
from odoo.tools import SQL

from .res_partner import phone_key


class PhoneBlacklist(models.Model):
    _inherit = "phone.blacklist"

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
        """Every number of a partner counts: a blacklisted mobile or phone denies SMS marketing."""
        if self.env.context.get("affinity_from_consent") or not self:
            return
        keys = [key for key in (phone_key(number) for number in self.mapped("number")) if key]
        if not keys:
            return
        self.env["res.partner"].flush_model(["phone", "mobile"])
        rows = self.env.execute_query(
            SQL(
                """SELECT id FROM res_partner
                    WHERE right(regexp_replace(COALESCE(mobile, ''), '\\D', '', 'g'), 10) = ANY(%(keys)s)
                       OR right(regexp_replace(COALESCE(phone, ''), '\\D', '', 'g'), 10) = ANY(%(keys)s)""",
                keys=keys,
            )
        )
        partners = self.env["res.partner"].sudo().browse([row[0] for row in rows])
        partners._affinity_set_consent(
            "sms",
            "marketing",
            "denied" if blacklisted else "not_asked",
            source="blacklist",
            note=self.env._("Number blacklisted")
            if blacklisted
            else self.env._("Number removed from the blacklist"),
        )
