from odoo import api, models


class AffinityBlacklistSync(models.AbstractModel):
    """Odoo's e-mail and phone blacklists, kept in step with marketing consent.

    The blacklist side of the two-way sync; the consent side is ``affinity.consent._sync_blacklists``.
    Each side only brings the other into step where it is out of step, so a change made on one side
    comes back as no change at all: no flag in the context is needed to stop the echo.
    """

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

    def _affinity_marketing_denials(self, partners, channels):
        """The marketing denials these partners hold over the channels a domain leaf names."""
        return (
            self.env["affinity.consent"]
            .sudo()
            .search(
                [
                    ("partner_id", "in", partners.ids),
                    channels,
                    ("purpose_id.code", "=", "marketing"),
                    ("state", "=", "denied"),
                ]
            )
        )

    def _affinity_still_denied(self, kind, granting):
        """The entries a grant may not lift: someone else at that address still says no to marketing.

        One person's grant never reopens an address another person (a family's shared line, or anyone
        who typed that number on their own account) closed; the person's own newer word does.
        """
        if not self:
            return self
        partners = self._affinity_blacklisted_partners() - granting
        denials = self._affinity_marketing_denials(partners, ("channel_id.blacklist_kind", "=", kind))
        closed = {
            address
            for partner in denials.partner_id
            for address in partner._affinity_blacklist_addresses(kind)
        }
        field = "email" if kind == "email" else "number"
        return self.filtered(lambda entry: entry[field] in closed)

    def _affinity_sync_consent(self, blacklisted):
        """The one entry from the blacklist: blacklisting is a logged denial (source *Odoo blacklist*);
        lifting it withdraws that denial, and only a denial (it is not a grant)."""
        if not self:
            return
        partners = self._affinity_blacklisted_partners()
        channel, note = self._affinity_channel_and_note(blacklisted)
        if not blacklisted:
            partners = self._affinity_marketing_denials(
                partners, ("channel_id.code", "=", channel)
            ).partner_id
        partners._affinity_set_consent(
            channel, "marketing", "denied" if blacklisted else "not_asked", source="blacklist", note=note
        )
