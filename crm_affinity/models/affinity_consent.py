from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import SQL

from ..tools.dates import TURKISH_PUBLIC_HOLIDAYS, add_business_days, turkish_date
from ..tools.iys import iys_holds
from ..tools.sql import array_literal, id_array

CONSENT_STATES = [
    ("granted", "Granted"),
    ("pending", "Awaiting confirmation"),
    ("denied", "Denied"),
    ("not_asked", "Not asked"),
]
LEGAL_BASES = [
    ("consent", "Explicit consent"),
    ("contract", "Performance of a contract"),
    ("legal_obligation", "Legal obligation"),
    ("legitimate_interest", "Legitimate interest"),
    ("vital_interest", "Vital interest"),
]
CONSENT_SOURCES = [
    ("web_form", "Web form"),
    ("preference_centre", "Preference centre"),
    ("capture", "Capture form"),
    ("confirmation", "Confirmation link"),
    ("unsubscribe", "Odoo unsubscribe page"),
    ("paper", "Signed paper"),
    ("call_centre", "Call centre"),
    ("email", "E-mail"),
    ("sms", "SMS"),
    ("event", "Event"),
    ("import", "Import"),
    ("iys", "IYS"),
    ("blacklist", "Odoo blacklist"),
    ("offboarding", "Offboarding decision"),
    ("manual", "Entered by a user"),
]
# Fields whose change is a change of consent and therefore goes to the history.
LOGGED_FIELDS = ("state", "legal_basis", "date_given", "source", "proof_ref", "expiry_date")
IYS_BUSINESS_DAYS = 3


class AffinityConsent(models.Model):
    _name = "affinity.consent"
    _description = "Affinity Communication Consent"
    _order = "partner_id, channel_id, purpose_id"
    _rec_names_search = ["partner_id.name", "channel_id.name"]

    partner_id = fields.Many2one("res.partner", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="partner_id.company_id", store=True, index=True)
    channel_id = fields.Many2one("affinity.channel", required=True, ondelete="restrict", index=True)
    purpose_id = fields.Many2one("affinity.purpose", required=True, ondelete="restrict", index=True)
    state = fields.Selection(CONSENT_STATES, required=True, default="not_asked")
    legal_basis = fields.Selection(LEGAL_BASES, default="consent")
    date_given = fields.Datetime(string="Date", default=fields.Datetime.now)
    source = fields.Selection(CONSENT_SOURCES, string="Obtained Through", default="manual")
    proof_ref = fields.Char(string="Proof Reference")
    recorded_by_id = fields.Many2one("res.users", default=lambda self: self.env.user, readonly=True)
    expiry_date = fields.Date()
    pending_until = fields.Datetime(
        string="Confirm By",
        readonly=True,
        help="A grant awaiting its double opt-in confirmation lapses at this moment.",
    )
    iys_deadline = fields.Date(
        string="Due at IYS By",
        compute="_compute_iys_deadline",
        store=True,
        help="A consent obtained outside IYS must reach IYS within 3 business days of the date and hour it was "
        "given (Turkish time): by this day, before that hour.",
    )
    pending_from_state = fields.Selection(
        CONSENT_STATES, readonly=True, help="What an unconfirmed grant goes back to when it lapses."
    )
    pending_from_expiry = fields.Date(readonly=True, help="The expiry an unconfirmed grant gives back.")
    pending_from_date = fields.Datetime(readonly=True, help="The date an unconfirmed grant gives back.")
    last_request_until = fields.Datetime(readonly=True)
    log_ids = fields.One2many("affinity.consent.log", "consent_id", string="History")
    iys_status = fields.Selection(
        [("ONAY", "ONAY"), ("RET", "RET")],
        string="IYS Status",
        readonly=True,
        help="What IYS holds for this recipient and type, as last read or registered.",
    )
    iys_synced_at = fields.Datetime(string="IYS Status Read At", readonly=True)
    iys_date = fields.Datetime(
        string="IYS Consent Date", readonly=True, help="When the status IYS holds was given."
    )
    iys_transaction_id = fields.Char(string="IYS Transaction", readonly=True)
    iys_in_sync = fields.Boolean(
        string="Registered at IYS",
        compute="_compute_iys_in_sync",
        store=True,
        help="IYS holds what this consent says (a denial IYS never approved needs nothing there).",
    )
    iys_error = fields.Char(
        string="IYS Error", compute="_compute_iys_error", help="Why IYS refused this consent's latest change."
    )
    iys_push_ids = fields.One2many(
        "affinity.iys.push", "consent_id", string="IYS Queue", groups="crm_affinity.group_affinity_manager"
    )

    _sql_constraints = [
        (
            "partner_channel_purpose_uniq",
            "unique(partner_id, channel_id, purpose_id)",
            "A partner has one consent per channel and purpose.",
        ),
    ]

    def _compute_iys_error(self):
        pushes = (
            self.env["affinity.iys.push"]
            .sudo()
            .search([("consent_id", "in", self.ids), ("state", "=", "rejected")], order="id")
        )
        last = {push.consent_id.id: push for push in pushes}
        for consent in self:
            push = last.get(consent.id)
            consent.iys_error = f"{push.error_code}: {push.error_label}" if push else False

    @api.depends(
        "state", "iys_status", "channel_id", "partner_id.mobile", "partner_id.phone", "partner_id.country_id"
    )
    def _compute_iys_in_sync(self):
        for consent in self:
            consent.iys_in_sync = (
                consent.state == "granted"
                and consent.iys_status == "ONAY"
                or consent.state == "denied"
                and consent.iys_status != "ONAY"
                or consent.state not in ("granted", "denied")
                # A number outside Turkey: IYS never holds it, so nothing is ever due there.
                or not consent._iys_holds_recipient()
            )

    def _iys_holds_recipient(self):
        """Can IYS hold this consent's recipient? Not a number outside Turkey (IYS holds +90 only)."""
        self.ensure_one()
        if self.channel_id.address_kind not in ("phone", "mobile") or not self.channel_id.iys_type:
            return True
        recipient = self.partner_id._affinity_iys_recipient(self.channel_id)
        return not recipient or iys_holds(self.channel_id.iys_type, recipient)

    @api.depends("source", "date_given", "channel_id.iys_type", "purpose_id.code", "state")
    def _compute_iys_deadline(self):
        """IYS's 3 business days, counted from the day the consent was given in Turkey (GMT+3, as IYS reads
        every date) over Turkey's public holidays, whatever the company's own calendar says: a day the
        company closes does not move the law's deadline, and the eve of a Bayram (a half day) is a business
        day, which gives the earlier, safe deadline."""
        for consent in self:
            needs_iys = (
                consent.channel_id.iys_type
                and consent.purpose_id.code == "marketing"
                and consent.state in ("granted", "denied")
                and consent.source != "iys"
                and consent.date_given
            )
            consent.iys_deadline = (
                add_business_days(
                    turkish_date(consent.date_given), IYS_BUSINESS_DAYS, TURKISH_PUBLIC_HOLIDAYS
                )
                if needs_iys
                else False
            )

    @api.depends("partner_id", "channel_id", "purpose_id")
    def _compute_display_name(self):
        for consent in self:
            consent.display_name = (
                f"{consent.partner_id.name} – {consent.channel_id.name} / {consent.purpose_id.name}"
            )

    @api.constrains("expiry_date", "date_given")
    def _check_expiry_date(self):
        for consent in self:
            if consent.expiry_date and consent.date_given and consent.expiry_date < consent.date_given.date():
                raise ValidationError(self.env._("A consent cannot expire before it was given."))

    @api.model_create_multi
    def create(self, vals_list):
        consents = super().create(vals_list)
        consents._apply_dates_given()
        consents._log_changes({})
        consents._sync_blacklists()
        consents._greetings_follow_marketing({})
        return consents

    def write(self, vals):
        if not any(field in vals for field in LOGGED_FIELDS):
            return super().write(vals)
        before = {consent.id: consent._log_snapshot() for consent in self}
        if "recorded_by_id" not in vals:
            vals = dict(vals, recorded_by_id=self.env.user.id)
        result = super().write(vals)
        self._apply_dates_given()
        self._log_changes(before)
        if "state" in vals:
            self._sync_blacklists()
            self._greetings_follow_marketing(before)
        return result

    @api.ondelete(at_uninstall=False)
    def _unlink_log_removal(self):
        """Removing a consent is a change to 'not asked': the history says who removed it and when."""
        given = self.filtered(lambda consent: consent.state != "not_asked")
        if given:
            given.with_context(affinity_consent_note=self.env._("Consent removed")).write(
                {
                    "state": "not_asked",
                    "source": "manual",
                    "proof_ref": False,
                    "expiry_date": False,
                    "date_given": fields.Datetime.now(),
                }
            )

    @api.model
    def _of(self, partner, channel, purpose):
        """The one consent of a partner for a channel and purpose (or none), whoever asks."""
        return self.sudo().search(
            [
                ("partner_id", "=", partner.id),
                ("channel_id", "=", channel.id),
                ("purpose_id", "=", purpose.id),
            ],
            limit=1,
        )

    def _iys_knows_approval(self):
        """Does IYS hold, or is it about to hold, an approval for this consent's recipient?"""
        self.ensure_one()
        return self.iys_status == "ONAY" or any(
            push.status == "ONAY" and push.state != "rejected" for push in self.sudo().iys_push_ids
        )

    @api.model
    def _iys_overdue_action(self, company=None):
        """Consents obtained outside IYS whose 3 business days passed without reaching it."""
        company = company or self.env.company
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Overdue at IYS"),
            "res_model": "affinity.consent",
            "view_mode": "list,form",
            "domain": company._affinity_iys_overdue_domain(),
            "context": {"create": False},
        }

    def _expire_pending(self):
        """Grants nobody confirmed in time go back to what they were, each with its history row."""
        lapsed = self.sudo().search(
            [("state", "=", "pending"), ("pending_until", "<", fields.Datetime.now())]
        )
        note = self.env._("Confirmation not received in time")
        groups = {}
        for consent in lapsed:
            consent.last_request_until = consent.pending_until
            key = (consent.pending_from_state, consent.pending_from_expiry, consent.pending_from_date)
            groups.setdefault(key, self.browse())
            groups[key] |= consent
        for (previous, expiry, given), group in groups.items():
            vals = {
                "state": previous or "not_asked",
                "expiry_date": expiry,
                "pending_until": False,
                "pending_from_state": False,
                "pending_from_expiry": False,
                "pending_from_date": False,
            }
            if given:
                vals["date_given"] = given
            group.with_context(affinity_consent_note=note).write(vals)
        return lapsed

    def _apply_dates_given(self):
        """Each partner's own moment as the consent's date (context ``affinity_consent_dates``:
        ``{partner_id: UTC datetime}``), in one statement, before the history row is written."""
        dates = self.env.context.get("affinity_consent_dates")
        rows = (
            [(consent.id, dates[consent.partner_id.id]) for consent in self if consent.partner_id.id in dates]
            if dates
            else []
        )
        if not rows:
            return
        self.flush_recordset(["date_given"])
        self.env.execute_query(
            SQL(
                "UPDATE affinity_consent c SET date_given = v.moment FROM (VALUES %s) AS v(id, moment) WHERE c.id = v.id",
                SQL(", ").join(SQL("(%s, %s::timestamp)", consent_id, moment) for consent_id, moment in rows),
            )
        )
        self.invalidate_recordset(["date_given"])
        self.modified(["date_given"])

    def _log_snapshot(self):
        return {field: self[field] for field in LOGGED_FIELDS}

    def _log_changes(self, before):
        """Append one immutable history row per consent that really changed."""
        note = self.env.context.get("affinity_consent_note")
        # What the person's own browser said when they decided: where, with what, having read which text.
        evidence = self.env.context.get("affinity_consent_evidence") or {}
        evidence = {
            key: evidence.get(key) or False for key in ("ip_address", "user_agent", "text_id", "unverified")
        }
        log_vals = []
        for consent in self:
            old = before.get(consent.id)
            if old is not None and all(old[f] == consent[f] for f in LOGGED_FIELDS):
                continue
            log_vals.append(
                {
                    "consent_id": consent.id,
                    "partner_id": consent.partner_id.id,
                    "partner_name": consent.partner_id.display_name,
                    "partner_address": consent.partner_id.email
                    or consent.partner_id.mobile
                    or consent.partner_id.phone,
                    "company_id": consent.company_id.id,
                    "channel_id": consent.channel_id.id,
                    "purpose_id": consent.purpose_id.id,
                    "old_state": old["state"] if old else False,
                    "new_state": consent.state,
                    "legal_basis": consent.legal_basis,
                    "source": consent.source,
                    "proof_ref": consent.proof_ref,
                    "consent_date": consent.date_given,
                    "expiry_date": consent.expiry_date,
                    "user_id": self.env.user.id,
                    "note": note,
                    **evidence,
                }
            )
        if log_vals:
            logs = self.env["affinity.consent.log"].sudo()._append(log_vals)
            self.env["affinity.iys.push"]._enqueue(logs)

    def _greetings_follow_marketing(self, before):
        """Where greetings need marketing consent (IYS counts them as commercial), a marketing change that
        starts or stops the greetings over its channel says so in the greetings' own history: a greeting
        switch never turns on or off without a row. Greetings the person refused themselves stay out of it;
        the greetings' own consent is not touched, the decision reads marketing as it always did."""
        moved = []
        for consent in self:
            company = consent.company_id or self.env.company
            if consent.purpose_id.code != "marketing" or not company.affinity_relationship_commercial:
                continue
            old = (before.get(consent.id) or {}).get("state", "not_asked")
            opt_out = company.affinity_consent_mode == "opt_out"
            was, now = (
                state == "granted" or (state == "not_asked" and opt_out) for state in (old, consent.state)
            )
            if was != now:
                moved.append((consent, now))
        greetings_purpose = (
            self.env["affinity.purpose"].sudo().search([("code", "=", "relationship")], limit=1)
        )
        if not moved or not greetings_purpose:
            return
        partners = self.env["res.partner"].union(*(consent.partner_id for consent, _now in moved))
        greetings = {
            (greeting.partner_id.id, greeting.channel_id.id): greeting
            for greeting in self.sudo().search(
                [("partner_id", "in", partners.ids), ("purpose_id", "=", greetings_purpose.id)]
            )
        }
        evidence = self.env.context.get("affinity_consent_evidence") or {}
        evidence = {key: evidence.get(key) or False for key in ("ip_address", "user_agent", "text_id")}
        logs = []
        for consent, now in moved:
            greeting = greetings.get((consent.partner_id.id, consent.channel_id.id), self.browse())
            if greeting.state == "denied":
                continue
            partner, channel = consent.partner_id, consent.channel_id
            note = (
                self.env._(
                    "Greetings over %(channel)s go out with the marketing consent: IYS counts them as "
                    "commercial messages.",
                    channel=channel.name,
                )
                if now
                else self.env._(
                    "Greetings over %(channel)s stop with the marketing consent: IYS counts them as "
                    "commercial messages.",
                    channel=channel.name,
                )
            )
            logs.append(
                {
                    "consent_id": greeting.id,
                    "partner_id": partner.id,
                    "partner_name": partner.display_name,
                    "partner_address": partner.email or partner.mobile or partner.phone,
                    "company_id": consent.company_id.id,
                    "channel_id": channel.id,
                    "purpose_id": greetings_purpose.id,
                    "old_state": greeting.state or "not_asked",
                    "new_state": greeting.state or "not_asked",
                    "source": consent.source,
                    "consent_date": consent.date_given,
                    "user_id": self.env.user.id,
                    "note": note,
                    **evidence,
                }
            )
        if logs:
            self.env["affinity.consent.log"].sudo()._append(logs)

    def _blacklist_wanted(self, kind, emails):
        """{address: blocked} as these consents' grants and denials ask it of the blacklist of ``kind``; the
        later consent of an address has the last word. ``emails``: {consent id: (state, e-mail address)}, read
        with the consents' kinds."""
        wanted = {}
        if kind == "email":
            for consent_id in self.ids:
                state, address = emails.get(consent_id, (None, None))
                if state in ("denied", "granted") and address:
                    wanted[address] = state == "denied"
            return wanted
        for consent in self:
            if consent.state in ("denied", "granted"):
                for address in consent.partner_id._affinity_blacklist_addresses(kind):
                    wanted[address] = consent.state == "denied"
        return wanted

    def _sync_blacklists(self, bulk=False):
        """The consent side of the two-way sync: Odoo's blacklists follow marketing consent.

        A consent whose source is the blacklist came from there and is not sent back; the blacklist side
        (``affinity.blacklist.sync.mixin``) in turn only changes consents that are out of step. Only the
        entries that are out of step are touched, in a few statements whatever the number of consents.
        ``bulk``: new entries and their notes are inserted in one statement each (``_blacklist_insert``).
        """
        self.flush_recordset(["purpose_id", "source", "channel_id", "state", "partner_id"])
        self.env["affinity.purpose"].flush_model(["code"])
        self.env["affinity.channel"].flush_model(["blacklist_kind"])
        self.env["res.partner"].flush_model(["email_normalized"])
        kinds, emails = {}, {}
        for consent_id, kind, state, email in self.env.execute_query(
            SQL(
                """SELECT c.id, ch.blacklist_kind, c.state, p.email_normalized
                     FROM affinity_consent c
                     JOIN affinity_purpose pu ON pu.id = c.purpose_id
                     JOIN affinity_channel ch ON ch.id = c.channel_id
                     JOIN res_partner p ON p.id = c.partner_id
                    WHERE c.id = ANY(%s::int[]) AND pu.code = 'marketing' AND c.source IS DISTINCT FROM 'blacklist'""",
                id_array(self.ids),
            )
        ):
            kinds[consent_id] = kind
            emails[consent_id] = (state, email)
        for kind, model, field in (
            ("email", "mail.blacklist", "email"),
            ("phone", "phone.blacklist", "number"),
        ):
            consents = self.browse(consent_id for consent_id in self.ids if kinds.get(consent_id) == kind)
            if not consents:
                continue
            wanted = consents._blacklist_wanted(kind, emails)
            if not wanted:
                continue
            blacklist = self.env[model].sudo().with_context(active_test=False)
            # The entries of these addresses, archived ones included, read raw: a sync page holds a thousand.
            blacklist.flush_model([field, "active"])
            existing = {
                address: (entry_id, active)
                for entry_id, address, active in self.env.execute_query(
                    SQL(
                        "SELECT id, %s, active FROM %s WHERE %s = ANY(%s::varchar[])",
                        SQL.identifier(field),
                        SQL.identifier(blacklist._table),
                        SQL.identifier(field),
                        array_literal(list(wanted)),
                    )
                )
            }
            denied_note = self.env._("Marketing consent denied")
            granted_note = self.env._("Marketing consent granted")
            to_block = blacklist.browse(
                [e for a, (e, active) in existing.items() if wanted[a] and not active]
            )
            to_lift = blacklist.browse([e for a, (e, active) in existing.items() if not wanted[a] and active])
            if to_lift:
                to_lift -= to_lift._affinity_still_denied(kind, consents.partner_id)
            if to_block:
                to_block._track_set_log_message(denied_note)
                to_block.action_unarchive()
            if to_lift:
                to_lift._track_set_log_message(granted_note)
                to_lift.action_archive()
            new = [address for address, block in wanted.items() if block and address not in existing]
            if new and bulk:
                self._blacklist_insert(model, field, new, denied_note)
            elif new:
                # The entry's chatter says why it was made, once: no "created" line and no follower beside it.
                created = blacklist.with_context(mail_create_nolog=True, mail_create_nosubscribe=True).create(
                    [{field: address} for address in new]
                )
                created._message_log_batch(bodies=dict.fromkeys(created.ids, denied_note))
