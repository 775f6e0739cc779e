"""The preference centre: people grant and withdraw their own permissions, with proof of what they read.

Every door a person opens for themself ends here: the signed link in a marketing message, the portal's
*My Account*, the double opt-in confirmation and the capture endpoint other sites post to. Each change is
recorded through ``res.partner._affinity_set_consent`` with the moment, the IP address, the user agent and
the exact text version the person saw, so the decision (``affinity.contact.decision``) obeys it at once.
"""

import calendar
import datetime

from odoo import api, fields, models

from ..tools import tokens

LINK_SCOPE = "crm_affinity.preferences"
CONFIRM_SCOPE = "crm_affinity.optin"
# Addresses a confirmation link can be sent to: e-mail by mail, a mobile number by Odoo's SMS.
CONFIRMABLE = ("email", "mobile")
# The placeholder a message body carries where the person's own preference link goes.
PLACEHOLDER = "/affinity_preferences"


def _epoch(moment):
    """Whole seconds since 1970 of a naive UTC datetime (0 for none)."""
    return calendar.timegm(moment.timetuple()) if moment else 0


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
        company = partner.company_id or self.env.company
        # Greetings that need marketing consent say so where the person chooses them.
        follows = self.env._(
            "Greetings are commercial messages (IYS): over each channel they go out only while its marketing "
            "permission is on, and stop when it is switched off."
        )
        offers = []
        for purpose in purposes:
            policy = self.env["affinity.contact.decision"]._policy(purpose, company)
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
                        # Greetings that follow marketing are on when they go out: a grant of their own
                        # does not send them while marketing is off.
                        "on": (decision.allowed or state == "pending")
                        if policy.greetings_follow_marketing
                        else state in ("granted", "pending") or (state == "not_asked" and decision.allowed),
                        "pending": state == "pending",
                        "note": follows if policy.greetings_follow_marketing else False,
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
                if offer.get("note"):
                    lines.append(offer["note"])
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
        changes += self._keep_greetings_off(partner, offers, wanted_keys, source, evidence)
        for offer in offers:
            want = offer["key"] in wanted_keys
            if want == offer["on"]:
                continue
            channel, purpose = offer["channel"], offer["purpose"]
            if not want:
                partner._affinity_set_consent(channel, purpose, "denied", source=source, evidence=evidence)
                changes.append((offer, "denied"))
            elif self._needs_confirmation(partner, channel, purpose):
                _consent, sent = self._request_confirmation(partner, channel, purpose, source, evidence)
                changes.append((offer, "pending" if sent else "pending_unsent"))
            else:
                partner._affinity_set_consent(channel, purpose, "granted", source=source, evidence=evidence)
                changes.append((offer, "granted"))
        return changes

    @api.model
    def _keep_greetings_off(self, partner, offers, wanted_keys, source, evidence):
        """Where greetings follow marketing, a marketing grant would carry the greetings over its channel
        along; greetings the person leaves off in the same save are their word, recorded first, so the switch
        they saw off stays off (and the marketing grant has no greetings to start)."""
        company = partner.company_id or self.env.company
        if not company.affinity_relationship_commercial:
            return []
        granting = {
            offer["channel"].id
            for offer in offers
            if offer["purpose"].code == "marketing" and offer["key"] in wanted_keys and not offer["on"]
        }
        kept = []
        Consent = self.env["affinity.consent"]
        for offer in offers:
            channel, purpose = offer["channel"], offer["purpose"]
            if purpose.code != "relationship" or channel.id not in granting or offer["key"] in wanted_keys:
                continue
            if Consent._of(partner, channel, purpose).state != "denied":
                partner._affinity_set_consent(channel, purpose, "denied", source=source, evidence=evidence)
                kept.append((offer, "denied"))
        return kept

    @api.model
    def _needs_confirmation(self, partner, channel, purpose):
        """Under double opt-in a commercial grant over e-mail, SMS or WhatsApp waits for the person to
        confirm from a link sent to that address or number: nobody subscribes a number they typed."""
        company = partner.company_id or self.env.company
        if not company.affinity_double_optin or channel.address_kind not in CONFIRMABLE:
            return False
        return self.env["affinity.contact.decision"]._policy(purpose, company).commercial

    @api.model
    def _request_confirmation(self, partner, channel, purpose, source, evidence, note=False):
        """A grant that waits for the link sent to the address: (consent, whether a message left).

        Until the person confirms, the decision says no.
        """
        company = partner.company_id or self.env.company
        consent = self.env["affinity.consent"]._of(partner, channel, purpose)
        before = consent.state if consent else "not_asked"
        # What a lapse gives back: the old state with its date and expiry (an expired grant stays expired).
        restore = {"pending_from_expiry": consent.expiry_date, "pending_from_date": consent.date_given}
        if before == "pending":
            before = consent.pending_from_state or "not_asked"
            restore = {
                "pending_from_expiry": consent.pending_from_expiry,
                "pending_from_date": consent.pending_from_date,
            }
        until = fields.Datetime.now() + datetime.timedelta(days=company.affinity_optin_days or 7)
        partner._affinity_set_consent(
            channel, purpose, "pending", source=source, evidence=evidence, pending_until=until, note=note
        )
        consent = self.env["affinity.consent"]._of(partner, channel, purpose)
        consent.write(dict(restore, pending_from_state=before, pending_until=until))
        return consent, self._send_confirmation(consent)

    @api.model
    def _confirm_link(self, consent):
        """The link names the moment its request lapses: a newer request makes an older link stale."""
        token = tokens.sign(self.env, CONFIRM_SCOPE, consent.id, expiry=_epoch(consent.pending_until))
        return f"{consent.partner_id.get_base_url()}/affinity/confirm/{token}"

    @api.model
    def _optin_sender(self, company):
        """Who a confirmation comes from: the company's address, else Odoo's default sender or catchall."""
        return (
            company.email_formatted
            or company.default_from_email
            or self.env["ir.mail_server"].sudo()._get_default_from_address()
            or False
        )

    @api.model
    def _send_confirmation(self, consent):
        """The confirmation is a service message over the channel it confirms: it goes through the decision.

        Returns whether a message left; a channel that cannot carry a link waits for staff review.
        """
        kind = consent.channel_id.address_kind
        if kind == "email":
            return self._send_confirmation_mail(consent)
        if kind == "mobile":
            return self._send_confirmation_sms(consent)
        return False

    @api.model
    def _confirm_what(self, consent):
        """What a confirmation is for, "E-posta — Pazarlama", in the language of the person it goes to."""
        consent = consent.with_context(lang=consent.partner_id.lang or self.env.lang)
        return f"{consent.channel_id.name} — {consent.purpose_id.name}"

    @api.model
    def _send_confirmation_mail(self, consent):
        partner = consent.partner_id
        sender = self._optin_sender(partner.company_id or self.env.company)
        decision = partner._affinity_contact_decision("email", "service", check_window=False)[partner.id]
        if not decision.allowed or not sender or not partner.email_normalized:
            return False
        template = self.env.ref("crm_affinity.mail_template_affinity_optin_confirm").sudo()
        template.with_context(
            affinity_confirm_url=self._confirm_link(consent),
            affinity_confirm_what=self._confirm_what(consent),
            lang=partner.lang,
        ).send_mail(partner.id, email_values={"email_from": sender})
        return True

    @api.model
    def _send_confirmation_sms(self, consent):
        """SMS and WhatsApp grants are confirmed from a link sent to that number through Odoo's SMS."""
        partner = consent.partner_id
        decision = partner._affinity_contact_decision("sms", "service", check_window=False)[partner.id]
        number = partner._affinity_iys_recipient(consent.channel_id)
        if not decision.allowed or not number:
            return False
        what = self._confirm_what(consent)
        body = self.with_context(lang=partner.lang).env._(
            "%(company)s: to confirm %(what)s, open %(link)s (ignore this message if you did not ask).",
            company=(partner.company_id or self.env.company).name,
            what=what,
            link=self._confirm_link(consent),
        )
        self.env["sms.sms"].sudo().create({"number": number, "body": body, "partner_id": partner.id})
        return True

    @api.model
    def _confirm_check(self, token):
        """(consent, None) for a link that confirms now, else (consent or empty, why): the signature first.

        Why is 'invalid' for a forged, foreign or unknown link (one answer for all, so ids cannot be probed),
        'expired' for a real link whose request lapsed or was replaced, 'used' once confirmed.
        """
        Consent = self.env["affinity.consent"].sudo()
        consent_id, expiry = tokens.read(self.env, CONFIRM_SCOPE, token)
        consent = Consent.browse(consent_id).exists() if consent_id else Consent
        if not consent:
            return Consent, "invalid"
        if consent.state == "pending" and _epoch(consent.pending_until) == expiry:
            if consent.pending_until < fields.Datetime.now():
                return consent, "expired"
            return consent, None
        if consent.state == "granted" and _epoch(consent.last_request_until) == expiry:
            return consent, "used"
        return consent, "expired"

    @api.model
    def _confirm(self, token, evidence):
        """(consent, None) once confirmed; (consent or empty, 'invalid' | 'expired' | 'used'), nothing changes."""
        consent, error = self._confirm_check(token)
        if error:
            return consent, error
        until = consent.pending_until
        address = consent.partner_id._affinity_iys_recipient(consent.channel_id) or ""
        consent.partner_id._affinity_set_consent(
            consent.channel_id,
            consent.purpose_id,
            "granted",
            source="confirmation",
            note=self.env._("Confirmed from the link sent to %s", address),
            evidence=evidence,
        )
        consent.write({"pending_from_state": False, "last_request_until": until})
        # A person who confirmed is a real person: no longer a capture that may be tidied away.
        consent.partner_id.filtered("affinity_captured").affinity_captured = False
        return consent, None

    @api.model
    def _cron_expire_pending(self):
        """Unconfirmed grants go back to what they were; the history says why."""
        self.env["affinity.consent"]._expire_pending()
        self.env["affinity.capture.attempt"]._gc_attempts()
        self.env["affinity.consent.capture"]._archive_unconfirmed()

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
                "unverified": evidence.get("unverified") or False,
            }
        )
