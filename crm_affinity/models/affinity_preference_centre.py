"""The preference centre: people grant and withdraw their own permissions, with proof of what they read.

Every door a person opens for themself ends here: the signed link in a marketing message, the portal's
*My Account*, the double opt-in confirmation and the capture endpoint other sites post to. Each change is
recorded through ``res.partner._affinity_set_consent`` with the moment, the IP address, the user agent and
the exact text version the person saw, so the decision (``affinity.contact.decision``) obeys it at once.
"""

import datetime

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import email_normalize

from ..tools import tokens
from ..tools.phone import partner_ids_by_phone_key, phone_key

LINK_SCOPE = "crm_affinity.preferences"
CONFIRM_SCOPE = "crm_affinity.optin"
# The placeholder a message body carries where the person's own preference link goes.
PLACEHOLDER = "/affinity_preferences"


class AffinityPreferenceCentre(models.AbstractModel):
    _name = "affinity.preference.centre"
    _description = "Affinity Preference Centre"

    # --- links ---------------------------------------------------------------------------------------

    @api.model
    def _link(self, partner):
        """The person's own signed, expiring link to their preferences."""
        days = (partner.company_id or self.env.company).affinity_preference_link_days or 90
        token = tokens.sign(self.env, LINK_SCOPE, partner.id, days * 86400)
        return f"{partner.get_base_url()}/affinity/preferences/{token}"

    @api.model
    def _links(self, partners):
        return {partner.id: self._link(partner) for partner in partners}

    @api.model
    def _partner_of_token(self, token):
        """(partner, None) for a valid link, (empty, 'expired' | 'invalid') for anything else."""
        partner_id, error = tokens.verify(self.env, LINK_SCOPE, token)
        partner = self.env["res.partner"].sudo().browse(partner_id).exists() if partner_id else None
        if not partner:
            return self.env["res.partner"], error or "invalid"
        return partner, None

    # --- what is offered, and the words shown -----------------------------------------------------------

    @api.model
    def _offers(self, partner):
        """Every channel × purpose the company offers, with the person's state and what it means now."""
        channels = self.env["affinity.channel"].sudo().search([("self_service", "=", True)])
        purposes = self.env["affinity.purpose"].sudo().search([("self_service", "=", True)])
        consents = {
            (c.channel_id.id, c.purpose_id.id): c
            for c in self.env["affinity.consent"].sudo().search([("partner_id", "=", partner.id)])
        }
        offers = []
        for purpose in purposes:
            for channel in channels:
                consent = consents.get((channel.id, purpose.id))
                state = consent.state if consent else "not_asked"
                decision = partner._affinity_contact_decision(channel, purpose, check_window=False)[
                    partner.id
                ]
                offers.append(
                    {
                        "key": f"{channel.id}_{purpose.id}",
                        "channel": channel,
                        "purpose": purpose,
                        "state": state,
                        "on": state in ("granted", "pending") or (state == "not_asked" and decision.allowed),
                        "pending": state == "pending",
                    }
                )
        return offers

    @api.model
    def _text_lines(self, offers):
        """The words of the page, in the reader's language; their version is what a change proves."""
        lines = [
            self.env._("Your communication preferences"),
            self.env._(
                "Choose how we may reach you and for what. You can change every choice here at any time; "
                "a withdrawal takes effect at once."
            ),
        ]
        seen = set()
        for offer in offers:
            purpose = offer["purpose"]
            if purpose.id not in seen:
                seen.add(purpose.id)
                lines.append(f"{purpose.name}: {purpose.description or ''}".strip())
            lines.append(f"{offer['channel'].name} — {purpose.name}")
        lines += [
            self.env._("Do not contact me at all (messages about orders and contracts still reach you)."),
            self.env._(
                "Each change is recorded with its moment, your IP address, your browser and this text, "
                "as the personal data protection law (KVKK) and the GDPR require."
            ),
        ]
        return lines

    @api.model
    def _text(self, offers):
        return self.env["affinity.consent.text"]._keep(
            "\n".join(self._text_lines(offers)), "preference_centre", self.env.lang
        )

    # --- changes -----------------------------------------------------------------------------------------

    @api.model
    def _apply(self, partner, wanted_keys, do_not_contact, evidence, source="preference_centre"):
        """Record what the person changed: grants (pending where e-mail needs confirmation), withdrawals."""
        partner = partner.sudo()
        changes = []
        # The switches as the page showed them, before anything moves; do not contact first, so that a
        # confirmation asked for in the same save may reach the person who just allowed it.
        offers = self._offers(partner)
        if bool(do_not_contact) != partner.affinity_do_not_contact:
            partner.affinity_do_not_contact = bool(do_not_contact)
            self._log_event(
                partner,
                self.env._("Do not contact switched on")
                if do_not_contact
                else self.env._("Do not contact switched off"),
                source,
                evidence,
            )
            changes.append((None, "do_not_contact" if do_not_contact else "contact"))
        for offer in offers:
            want = offer["key"] in wanted_keys
            if want == offer["on"]:
                continue
            channel, purpose = offer["channel"], offer["purpose"]
            if not want:
                partner._affinity_set_consent(channel, purpose, "denied", source=source, evidence=evidence)
                changes.append((offer, "denied"))
            elif self._needs_confirmation(partner, channel, purpose):
                self._request_confirmation(partner, channel, purpose, source, evidence)
                changes.append((offer, "pending"))
            else:
                partner._affinity_set_consent(channel, purpose, "granted", source=source, evidence=evidence)
                changes.append((offer, "granted"))
        return changes

    @api.model
    def _needs_confirmation(self, partner, channel, purpose):
        company = partner.company_id or self.env.company
        if not company.affinity_double_optin or channel.address_kind != "email":
            return False
        return self.env["affinity.contact.decision"]._policy(purpose, company).commercial

    @api.model
    def _request_confirmation(self, partner, channel, purpose, source, evidence):
        """A grant that waits for the link sent to the address; until then the decision says no."""
        company = partner.company_id or self.env.company
        consent = self.env["affinity.consent"]._of(partner, channel, purpose)
        before = consent.state if consent else "not_asked"
        if before == "pending":
            before = consent.pending_from_state or "not_asked"
        until = fields.Datetime.now() + datetime.timedelta(days=company.affinity_optin_days or 7)
        partner._affinity_set_consent(
            channel, purpose, "pending", source=source, evidence=evidence, pending_until=until
        )
        consent = self.env["affinity.consent"]._of(partner, channel, purpose)
        consent.write({"pending_from_state": before, "pending_until": until})
        self._send_confirmation(consent)
        return consent

    @api.model
    def _confirm_bound(self, consent):
        return fields.Datetime.to_string(consent.pending_until) or ""

    @api.model
    def _confirm_link(self, consent):
        lifetime = max((consent.pending_until - fields.Datetime.now()).total_seconds(), 0)
        token = tokens.sign(self.env, CONFIRM_SCOPE, consent.id, lifetime, self._confirm_bound(consent))
        return f"{consent.partner_id.get_base_url()}/affinity/confirm/{token}"

    @api.model
    def _send_confirmation(self, consent):
        """The confirmation is a service message: it still goes through the decision."""
        partner = consent.partner_id
        decision = partner._affinity_contact_decision("email", "service", check_window=False)[partner.id]
        if not decision.allowed:
            return False
        template = self.env.ref("crm_affinity.mail_template_affinity_optin_confirm")
        return template.with_context(
            affinity_confirm_url=self._confirm_link(consent),
            affinity_confirm_what=f"{consent.channel_id.name} — {consent.purpose_id.name}",
            lang=partner.lang,
        ).send_mail(partner.id)

    @api.model
    def _confirm(self, token, evidence):
        """(consent, None) once confirmed; (empty, 'invalid' | 'expired' | 'used') and nothing changes."""
        Consent = self.env["affinity.consent"].sudo()
        consent = Consent.browse(tokens.subject_of(token)).exists() if tokens.subject_of(token) else Consent
        if not consent:
            return Consent, "invalid"
        if consent.state != "pending":
            signed, error = tokens.verify(self.env, CONFIRM_SCOPE, token, self._last_bound(consent))
            return Consent, "used" if signed else error
        bound = self._confirm_bound(consent)
        signed, error = tokens.verify(self.env, CONFIRM_SCOPE, token, bound)
        if not signed:
            return Consent, error
        if consent.pending_until < fields.Datetime.now():
            return Consent, "expired"
        until = consent.pending_until
        consent.partner_id._affinity_set_consent(
            consent.channel_id,
            consent.purpose_id,
            "granted",
            source="confirmation",
            note=self.env._("Confirmed from the link sent to %s", consent.partner_id.email or ""),
            evidence=evidence,
        )
        consent.write({"pending_from_state": False, "last_request_until": until})
        return consent, None

    @api.model
    def _last_bound(self, consent):
        """A link already used was bound to the moment its request lapsed: recognised, refused."""
        return fields.Datetime.to_string(consent.last_request_until) or ""

    @api.model
    def _cron_expire_pending(self):
        """Unconfirmed grants go back to what they were; the history says why."""
        self.env["affinity.consent"]._expire_pending()
        self.env["affinity.capture.attempt"]._gc_attempts()

    @api.model
    def _log_event(self, partner, note, source, evidence):
        """A history row for what is not one consent's state (do not contact, a list unsubscription)."""
        evidence = evidence or {}
        self.env["affinity.consent.log"].sudo().create(
            {
                "partner_id": partner.id,
                "partner_name": partner.display_name,
                "partner_address": partner.email or partner.mobile or partner.phone,
                "company_id": partner.company_id.id,
                "source": source,
                "note": note,
                "user_id": self.env.user.id,
                "consent_date": fields.Datetime.now(),
                "ip_address": evidence.get("ip_address") or False,
                "user_agent": evidence.get("user_agent") or False,
                "text_id": evidence.get("text_id") or False,
            }
        )

    # --- capture from any form -----------------------------------------------------------------------

    @api.model
    def _capture(self, payload, evidence):
        """Record what a form on another site collected; returns the states now held, per line."""
        if not isinstance(payload, dict):
            raise UserError(self.env._("Send one JSON object."))
        email = (payload.get("email") or "").strip()
        phone = (payload.get("phone") or "").strip()
        lines = payload.get("consents")
        text = (payload.get("text") or "").strip()
        if not email and not phone:
            raise UserError(self.env._("Give an 'email' or a 'phone' for the person."))
        if email and not email_normalize(email):
            raise UserError(self.env._("'%s' is not an e-mail address.", email))
        if not text:
            raise UserError(self.env._("Send in 'text' the exact words the person agreed to."))
        if not isinstance(lines, list) or not lines:
            raise UserError(
                self.env._("'consents' is a list of {channel, purpose, state} (state: granted or denied).")
            )
        Partner = self.env["res.partner"].sudo()
        parsed = []
        for index, line in enumerate(lines, start=1):
            if not isinstance(line, dict) or line.get("state") not in ("granted", "denied"):
                raise UserError(
                    self.env._(
                        "Consent line %s: give channel, purpose and a state of granted or denied.", index
                    )
                )
            channel, purpose = Partner._affinity_api_codes(line.get("channel"), line.get("purpose"))
            parsed.append((channel, purpose, line["state"]))
        partner = self._capture_partner(email, phone, payload)
        evidence = dict(evidence, text_id=self.env["affinity.consent.text"]._keep(text, "capture").id)
        result = []
        for channel, purpose, state in parsed:
            if state == "granted" and self._needs_confirmation(partner, channel, purpose):
                self._request_confirmation(partner, channel, purpose, "capture", evidence)
                state = "pending"
            else:
                partner._affinity_set_consent(channel, purpose, state, source="capture", evidence=evidence)
            result.append({"channel": channel.code, "purpose": purpose.code, "state": state})
        return result

    @api.model
    def _capture_partner(self, email, phone, payload):
        """The person the form speaks of, found by the addon's address rules, or created."""
        Partner = self.env["res.partner"].sudo()
        # An address names the person; a number only where no address was given (families share lines).
        if email:
            partner = Partner.search([("email_normalized", "=", email_normalize(email))], limit=1)
        else:
            key = phone_key(phone)
            partner = Partner.browse(partner_ids_by_phone_key(self.env, [key]).get(key))
        if partner:
            return partner
        lang = payload.get("lang")
        installed = dict(self.env["res.lang"].get_installed())
        return Partner.create(
            {
                "name": (payload.get("name") or "").strip() or email or phone,
                "email": email or False,
                "mobile": phone or False,
                "lang": lang if lang in installed else False,
            }
        )
