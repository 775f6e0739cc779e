from odoo import api, models


class AffinityBlacklistSync(models.AbstractModel):
    """Odoo's e-mail and phone blacklists, kept in step with marketing consent."""

    _name = "affinity.blacklist.sync.mixin"
    _description = "Affinity Blacklist to Consent Sync"

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
        partners = self._affinity_blacklisted_partners()
        channel, note = self._affinity_channel_and_note(blacklisted)
        partners._affinity_set_consent(
            channel, "marketing", "denied" if blacklisted else "not_asked", source="blacklist", note=note
        )
