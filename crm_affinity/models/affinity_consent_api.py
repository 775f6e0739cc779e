"""The public consent API: what other systems call over JSON-RPC / XML-RPC to ask and to record.

Both methods are thin: they check who asks and what they pass, then hand over to the one contact
decision (``res.partner._affinity_contact_decision``) and to the one way consent is recorded
(``res.partner._affinity_set_consent``), so an integrator never re-implements the rules.
"""

import datetime

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

from ..tools.groups import AFFINITY_MANAGER, AFFINITY_USER
from ..tools.inputs import clean_text
from ..tools.reasons import reason_label
from .affinity_consent import CONSENT_SOURCES

# Where a person's own portal session may say a consent came from.
SELF_SERVICE_SOURCES = ("web_form",)
# The states a caller may record: "pending" belongs to the double opt-in, which sets its own deadline.
API_STATES = ("granted", "denied", "not_asked")


class ResPartner(models.Model):
    _inherit = "res.partner"

    @api.model
    def affinity_check_contact(self, partner_ids, channel, purpose, when=None):
        """May these partners be contacted over this channel for this purpose, now or at ``when``?

        :param partner_ids: list of partner ids (a portal user may ask only about themself)
        :param channel: channel code: email, sms, phone, whatsapp, post, visit
        :param purpose: purpose code: marketing, service, relationship
        :param when: UTC moment of the send, ``YYYY-MM-DD HH:MM:SS`` (default: now)
        :return: one dict per partner, in the order asked:
            ``{partner_id, allowed, reason, reason_label, next_allowed}``
        """
        partners = self._affinity_api_partners(partner_ids)
        channel, purpose = self._affinity_api_codes(channel, purpose)
        moment = self._affinity_api_moment(when)
        decisions = partners.sudo()._affinity_contact_decision(channel, purpose, when=moment)
        return [
            {
                "partner_id": partner.id,
                "allowed": decisions[partner.id].allowed,
                "reason": decisions[partner.id].reason,
                "reason_label": reason_label(self.env, decisions[partner.id].reason),
                "next_allowed": fields.Datetime.to_string(decisions[partner.id].next_allowed) or False,
            }
            for partner in partners
        ]

    @api.model
    def affinity_record_consent(self, partner_id, channel, purpose, state, source, proof=None):
        """Record one consent with its proof, logged in the immutable history like any other change.

        :param partner_id: the partner's id (a portal user may record only their own consent)
        :param state: granted, denied or not_asked
        :param source: where it was obtained: web_form, paper, call_centre, email, sms, event, import…
        :param proof: optional dict: ``ref`` (proof reference), ``note`` (free text for the history)
        :return: ``{consent_id, state, decision}`` with the decision for that channel and purpose now

        Where the company asks for double opt-in, an e-mail marketing grant becomes *pending* and the
        person gets the confirmation link, as on the portal; only an Affinity administrator may record a
        confirmation already completed, with ``source="confirmation"`` and its proof reference.
        """
        if isinstance(partner_id, bool) or not isinstance(partner_id, int):
            raise UserError(self.env._("partner_id must be one partner id (an integer)."))
        partner = self._affinity_api_partners([partner_id])
        # A person chooses for themself among what the preference centre offers them.
        channel, purpose = self._affinity_api_codes(channel, purpose, self_service=self.env.user.share)
        if not isinstance(state, str) or state not in API_STATES:
            raise UserError(
                self.env._(
                    "Unknown consent state '%(state)s': use one of %(states)s.",
                    state=state,
                    states=", ".join(API_STATES),
                )
            )
        if not isinstance(source, str) or source not in dict(CONSENT_SOURCES):
            raise UserError(
                self.env._(
                    "Unknown consent source '%(given)s': use one of %(sources)s.",
                    given=source,
                    sources=", ".join(dict(CONSENT_SOURCES)),
                )
            )
        proof = proof or {}
        if not isinstance(proof, dict) or set(proof) - {"ref", "note"}:
            raise UserError(self.env._("proof is a dictionary with the keys 'ref' and 'note' only."))
        if self.env.user.share:
            if source not in SELF_SERVICE_SOURCES:
                raise AccessError(self.env._("A person records their own consent through a web form only."))
        elif not self.env.user.has_group(AFFINITY_USER):
            raise AccessError(self.env._("Only Affinity users may record consent for a customer."))
        proof_ref = str(proof.get("ref") or "")[:256] or False
        note = str(proof.get("note") or "")[:1024] or False
        confirmed = source == "confirmation"
        if confirmed and not (self.env.user.has_group(AFFINITY_MANAGER) and proof_ref):
            raise AccessError(
                self.env._(
                    "Only an Affinity administrator records a completed confirmation, with its proof "
                    "reference in proof['ref']."
                )
            )
        centre = self.env["affinity.preference.centre"].sudo()
        if state == "granted" and not confirmed and centre._needs_confirmation(partner, channel, purpose):
            centre._request_confirmation(partner.sudo(), channel, purpose, source, {}, note=note)
        else:
            partner.sudo()._affinity_set_consent(
                channel, purpose, state, source=source, proof_ref=proof_ref, note=note
            )
        consent = self.env["affinity.consent"]._of(partner, channel, purpose)
        decision = self.affinity_check_contact(partner.ids, channel.code, purpose.code)[0]
        return {"consent_id": consent.id, "state": consent.state or "not_asked", "decision": decision}

    @api.model
    def _affinity_api_partners(self, partner_ids):
        """The partners asked about, as the caller may see them; a clear error for anything else."""
        if (
            not isinstance(partner_ids, list | tuple)
            or not partner_ids
            or any(isinstance(pid, bool) or not isinstance(pid, int) for pid in partner_ids)
        ):
            raise UserError(self.env._("partner_ids must be a non-empty list of partner ids (integers)."))
        partners = self.browse(list(dict.fromkeys(partner_ids)))
        user = self.env.user
        if user.share and partners - (user.partner_id | user.partner_id.commercial_partner_id):
            # Before anything is looked up: a portal user learns nothing of which ids exist.
            raise AccessError(self.env._("A portal user may ask only about themself."))
        missing = set(partners.ids) - set(partners.sudo().exists().ids)
        if missing:
            raise UserError(
                self.env._("No partner has the id(s) %s.", ", ".join(str(pid) for pid in sorted(missing)))
            )
        if user.share:
            return partners
        if not user.has_group("base.group_user"):
            raise AccessError(self.env._("Only employees may ask about contact permissions."))
        partners.check_access("read")
        return partners

    @api.model
    def _affinity_api_codes(self, channel, purpose, self_service=False):
        """The channel and purpose named by their codes; with ``self_service``, only those a person may
        choose for themself (the preference centre's)."""
        channels = self.env["affinity.channel"].sudo()
        purposes = self.env["affinity.purpose"].sudo()
        channel_record = channels._get_by_code(channel) if clean_text(channel) else channels
        purpose_record = purposes._get_by_code(purpose) if clean_text(purpose) else purposes
        if self_service:
            channel_record = channel_record.filtered("self_service")
            purpose_record = purpose_record.filtered("self_service")
        if not channel_record:
            known = ", ".join(channels.search(self._affinity_api_offered(self_service)).mapped("code"))
            raise UserError(
                self.env._("Unknown channel '%(code)s': use one of %(known)s.", code=channel, known=known)
            )
        if not purpose_record:
            known = ", ".join(purposes.search(self._affinity_api_offered(self_service)).mapped("code"))
            raise UserError(
                self.env._("Unknown purpose '%(code)s': use one of %(known)s.", code=purpose, known=known)
            )
        return channel_record, purpose_record

    @api.model
    def _affinity_api_offered(self, self_service):
        return [("active", "=", True)] + ([("self_service", "=", True)] if self_service else [])

    @api.model
    def _affinity_api_moment(self, when):
        if not when:
            return fields.Datetime.now()
        try:
            moment = fields.Datetime.to_datetime(when)
        except (ValueError, TypeError):
            moment = None
        if not isinstance(moment, datetime.datetime):
            raise UserError(self.env._("'%s' is not a moment: write it as YYYY-MM-DD HH:MM:SS (UTC).", when))
        return moment
