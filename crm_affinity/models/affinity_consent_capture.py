"""The capture endpoint's rules: what a form on another site may post, and what it may change.

The poster is nobody we know. So a post never grants anything: each grant waits for a confirmation the
person completes over that channel (a link by e-mail, or by SMS for SMS and WhatsApp), and a channel that
cannot carry a link waits for staff review. A withdrawal is honoured at once and logged as unverified. The
answer depends on the request alone, so it never tells whether the person is known.
"""

import datetime

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, email_normalize

from ..tools.inputs import clean_text
from ..tools.phone import partner_ids_on_lines, phone_key

# Bounds of every field a post may carry (characters); the body itself is bounded by the controller.
MAX_LENGTHS = {"email": 254, "phone": 32, "name": 128, "lang": 16, "text": 10000}
MAX_LINES = 60
MAX_CODE = 32
CAPTURE_STATES = ("granted", "denied")


class CaptureRefused(UserError):
    """Bad input to the capture endpoint, with the field it concerns."""

    def __init__(self, message, field):
        super().__init__(message)
        self.field = field


class AffinityConsentCapture(models.AbstractModel):
    _name = "affinity.consent.capture"
    _description = "Affinity Consent Capture"

    @api.model
    def _parse(self, payload):
        """The post as {email, phone, name, lang, text, lines: [(channel, purpose, state)]}, or CaptureRefused."""
        if not isinstance(payload, dict):
            raise CaptureRefused(self.env._("Send one JSON object."), "body")
        values = {}
        for field, limit in MAX_LENGTHS.items():
            value = payload.get(field)
            if value is None:
                value = ""
            if not clean_text(value):
                raise CaptureRefused(self.env._("'%s' must be a text.", field), field)
            value = value.strip()
            if len(value) > limit:
                raise CaptureRefused(
                    self.env._("'%(field)s' is longer than %(limit)s characters.", field=field, limit=limit),
                    field,
                )
            values[field] = value
        email, phone = values["email"], values["phone"]
        if not email and not phone:
            raise CaptureRefused(self.env._("Give an 'email' or a 'phone' for the person."), "email")
        if email and not email_normalize(email):
            raise CaptureRefused(self.env._("'%s' is not an e-mail address.", email), "email")
        if phone and not phone_key(phone):
            raise CaptureRefused(self.env._("'%s' is not a phone number.", phone), "phone")
        if not values["text"]:
            raise CaptureRefused(self.env._("Send in 'text' the exact words the person agreed to."), "text")
        lines = payload.get("consents")
        if not isinstance(lines, list) or not lines or len(lines) > MAX_LINES:
            raise CaptureRefused(
                self.env._(
                    "'consents' is a list of 1 to %s {channel, purpose, state} (state: granted or denied).",
                    MAX_LINES,
                ),
                "consents",
            )
        parsed, seen = [], {}
        for index, line in enumerate(lines, start=1):
            channel, purpose = self._parse_line(index, line)
            if (channel, purpose) in seen:
                raise CaptureRefused(
                    self.env._(
                        "Consent line %(index)s repeats line %(first)s.",
                        index=index,
                        first=seen[(channel, purpose)],
                    ),
                    "consents",
                )
            seen[(channel, purpose)] = index
            if line["state"] == "granted":
                self._check_address(index, channel, email, phone)
            parsed.append((channel, purpose, line["state"]))
        return dict(values, lines=parsed)

    @api.model
    def _parse_line(self, index, line):
        if (
            not isinstance(line, dict)
            or line.get("state") not in CAPTURE_STATES
            or not all(clean_text(line.get(key)) and line[key] for key in ("channel", "purpose"))
            or max(len(line["channel"]), len(line["purpose"])) > MAX_CODE
        ):
            raise CaptureRefused(
                self.env._("Consent line %s: give channel, purpose and a state of granted or denied.", index),
                "consents",
            )
        try:
            return self.env["res.partner"]._affinity_api_codes(
                line["channel"], line["purpose"], self_service=True
            )
        except UserError as error:
            raise CaptureRefused(
                self.env._("Consent line %(index)s: %(error)s", index=index, error=error.args[0]), "consents"
            ) from error

    @api.model
    def _check_address(self, index, channel, email, phone):
        """A grant needs the address it is for in the post itself: a known person's is never used."""
        if channel.address_kind == "email" and not email:
            raise CaptureRefused(
                self.env._(
                    "Consent line %(index)s: %(channel)s needs an 'email'.", index=index, channel=channel.name
                ),
                "email",
            )
        if channel.address_kind in ("phone", "mobile") and not phone:
            raise CaptureRefused(
                self.env._(
                    "Consent line %(index)s: %(channel)s needs a 'phone'.", index=index, channel=channel.name
                ),
                "phone",
            )

    @api.model
    def _answer(self, lines):
        """What the poster learns: the same for a known and an unknown person."""
        return [
            {
                "channel": channel.code,
                "purpose": purpose.code,
                "state": "denied" if state == "denied" else "pending",
            }
            for channel, purpose, state in lines
        ]

    @api.model
    def _capture(self, values, evidence):
        """Record a parsed post: withdrawals at once, grants as requests the person must confirm."""
        centre = self.env["affinity.preference.centre"].sudo()
        everyone = self._partners_at(values)
        partner = everyone.filtered("active")[:1] or everyone[:1] or self._create_partner(values)
        text = self.env["affinity.consent.text"]._keep(values["text"], "capture")
        evidence = dict(evidence, text_id=text.id, unverified=True)
        note = self.env._("Unverified request from a capture form")
        today = fields.Date.context_today(self)
        for channel, purpose, state in values["lines"]:
            if state == "denied":
                # An opt-out is always safe to honour, whoever asks, for everyone at that address; the
                # history says it was unverified.
                (everyone or partner)._affinity_set_consent(
                    channel, purpose, "denied", source="capture", evidence=evidence, note=note
                )
                continue
            consent = self.env["affinity.consent"]._of(partner, channel, purpose)
            if consent.state == "granted" and not (consent.expiry_date and consent.expiry_date < today):
                # The person's own grant stands: a stranger neither suspends it nor triggers a message.
                continue
            centre._request_confirmation(partner, channel, purpose, "capture", evidence, note=note)
        return self._answer(values["lines"])

    @api.model
    def _partners_at(self, values):
        """Everyone the post's address names, oldest first: an e-mail names a person; a number only where
        no e-mail was given (families share lines). Archived captures count, and come back."""
        Partner = self.env["res.partner"].sudo().with_context(active_test=False)
        if values["email"]:
            partners = Partner.search(
                [("email_normalized", "=", email_normalize(values["email"]))], order="id"
            )
        else:
            partners = Partner.browse(partner_ids_on_lines(self.env, [phone_key(values["phone"])]))
        revived = partners.filtered(lambda partner: partner.affinity_captured and not partner.active)
        if revived:
            revived.active = True
        return partners

    @api.model
    def _create_partner(self, values):
        """A person the database does not know yet, marked as captured: awaiting their confirmation."""
        Partner = self.env["res.partner"].sudo()
        email, phone = values["email"], values["phone"]
        company = self.env.company
        installed = dict(self.env["res.lang"].get_installed())
        lang = next(
            (code for code in (values["lang"], self.env.lang, company.partner_id.lang) if code in installed),
            False,
        )
        number = phone and (
            Partner._phone_format(
                number=phone, country=company.country_id, force_format="INTERNATIONAL", raise_exception=False
            )
            or phone
        )
        return Partner.create(
            {
                "name": values["name"] or email or phone,
                "email": email or False,
                "mobile": number or False,
                "lang": lang,
                "affinity_captured": True,
            }
        )

    @api.model
    def _archive_unconfirmed(self):
        """Captured people who never confirmed and whom nothing else uses are archived: no filling up."""
        Partner = self.env["res.partner"]
        Partner.flush_model()
        self.env["affinity.consent"].flush_model()
        days = max(self.env.company.affinity_optin_days or 7, 1)
        used_by = [
            ("crm_lead", "partner_id"),
            ("sale_order", "partner_id"),
            ("account_move", "partner_id"),
            ("res_users", "partner_id"),
            ("res_partner", "parent_id"),
        ]
        unused = SQL(" AND ").join(
            SQL(
                "NOT EXISTS (SELECT 1 FROM %s u WHERE u.%s = p.id)",
                SQL.identifier(table),
                SQL.identifier(column),
            )
            for table, column in used_by
        )
        rows = self.env.execute_query(
            SQL(
                """SELECT p.id FROM res_partner p
                    WHERE p.affinity_captured AND p.active
                      AND p.create_date < %(before)s
                      AND NOT EXISTS (SELECT 1 FROM affinity_consent c
                                       WHERE c.partner_id = p.id AND c.state IN ('granted', 'pending'))
                      AND %(unused)s""",
                before=fields.Datetime.now() - datetime.timedelta(days=days),
                unused=unused,
            )
        )
        partners = Partner.sudo().browse([row[0] for row in rows])
        partners.write({"active": False})
        return partners
