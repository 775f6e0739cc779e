import datetime

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.osv import expression
from odoo.tools import SQL

from ..tools.reasons import FAILURE_TYPES, MAILING_UNBLOCKED_REASONS, failure_type_for

# The leaves by which Odoo's default recipients of a mailing leave blacklisted addresses out.
BLACKLIST_LEAVES = (("is_blacklisted", "=", False), ("phone_sanitized_blacklisted", "=", False))
TRUE_LEAF = expression.TRUE_LEAF
# "Within the next N hours": at least the hour being, at most a week ahead (a learned week has 168 hours).
BEST_HOUR_LIMITS = (1, 168)
# The cron each channel's held messages go out with when their moment comes.
QUEUE_CRONS = {"mail": "mail.ir_cron_mail_scheduler_action", "sms": "sms.ir_cron_sms_scheduler_action"}
# A mailing is done once its last held message went out: its queue looks again this long after each moment.
DONE_CHECK_DELAY = datetime.timedelta(minutes=10)
# What a cancelled message's state is called in each queue.
CANCELLED_STATE = {"mail.mail": "cancel", "sms.sms": "canceled"}


class MailingMailing(models.Model):
    _inherit = "mailing.mailing"

    affinity_priority = fields.Boolean(
        string="Priority (Over the Contact Budget)",
        groups="crm_affinity.group_affinity_manager",
        help="A priority mailing counts against each person's contact budget but is not held back by it "
        "(consent, quiet days and blacklists still are).",
    )

    affinity_purpose_id = fields.Many2one(
        "affinity.purpose",
        string="Purpose",
        groups="crm_affinity.group_affinity_manager",
        help="Empty: marketing, which needs consent and obeys the blacklists and the contact budget. A service "
        "mailing (an order, an appointment, a change of terms) asks the service consent: a person's marketing "
        "'no' does not stop it, and Odoo's blacklists stop it only where the person put themselves on them.",
    )

    affinity_best_hour = fields.Boolean(
        string="Send at Each Person's Best Hour",
        help="Each recipient's message waits for the hour they are most likely to read and answer it, learned "
        "from their own responses (the company's default hours for people who have shown nothing yet), and "
        "only at a moment their permissions, contact windows, quiet days and contact budget allow. A person "
        "with no such moment within the hours given is not sent to, with the reason.",
    )
    affinity_best_hour_within = fields.Integer(
        string="Within the Next (Hours)",
        default=24,
        help="How far ahead each person's best hour is looked for, from the moment the mailing is sent.",
    )
    affinity_waiting_count = fields.Integer(
        string="Waiting for Their Hour",
        compute="_compute_affinity_waiting_count",
        help="Messages of this mailing held for their recipient's best hour.",
    )

    @api.constrains("affinity_best_hour", "affinity_best_hour_within")
    def _check_affinity_best_hour_within(self):
        low, high = BEST_HOUR_LIMITS
        for mailing in self.filtered("affinity_best_hour"):
            if not low <= mailing.affinity_best_hour_within <= high:
                raise ValidationError(
                    self.env._(
                        "%(field)s of mailing %(mailing)s must be between %(low)s and %(high)s hours.",
                        field=self._fields["affinity_best_hour_within"].get_description(self.env)["string"],
                        mailing=mailing.display_name,
                        low=low,
                        high=high,
                    )
                )

    def _compute_affinity_waiting_count(self):
        waiting = self._affinity_waiting()
        for mailing in self:
            mailing.affinity_waiting_count = sum(waiting.get(mailing.id, {}).values())

    def _affinity_waiting(self):
        """{mailing id: {moment: count}} of the messages still held for their recipient's best hour."""
        ids = self.filtered("affinity_best_hour").ids
        if not ids:
            return {}
        self.env["mailing.trace"].flush_model(["mass_mailing_id", "trace_status", "affinity_send_after"])
        rows = self.env.execute_query(
            SQL(
                """SELECT mass_mailing_id, affinity_send_after, count(*)
                     FROM mailing_trace
                    WHERE mass_mailing_id = ANY(%s) AND trace_status = 'outgoing'
                      AND affinity_send_after IS NOT NULL
                    GROUP BY mass_mailing_id, affinity_send_after""",
                ids,
            )
        )
        waiting = {}
        for mailing_id, moment, count in rows:
            waiting.setdefault(mailing_id, {})[moment] = count
        return waiting

    def action_view_affinity_waiting(self):
        """The traces of the messages still waiting for their recipient's best hour."""
        return self._action_view_traces_filtered("affinity_waiting")

    def write(self, vals):
        """A best-hour mailing stays *Sending* while messages wait for their hour: Odoo says *Sent* once
        every recipient has a message, the queue says so again when the last held one went out."""
        if vals.get("state") == "done" and (waiting := self._affinity_waiting()):
            held = self.browse(list(waiting))
            kept = {k: v for k, v in vals.items() if k not in ("state", "sent_date", "kpi_mail_required")}
            super(MailingMailing, held).write(dict(kept, state="sending"))
            return super(MailingMailing, self - held).write(vals)
        return super().write(vals)

    def _action_send_mail(self, res_ids=None):
        result = super()._action_send_mail(res_ids=res_ids)
        self.filtered(lambda m: m.mailing_type == "mail")._affinity_wake_queues("mail")
        return result

    def action_send_sms(self, res_ids=None):
        result = super().action_send_sms(res_ids=res_ids)
        self._affinity_wake_queues("sms")
        return result

    def _affinity_wake_queues(self, mailing_type):
        """The channel's queue runs at each held moment, and the mailings' queue just after, to say *Sent*."""
        moments = {moment for moments in self._affinity_waiting().values() for moment in moments}
        if not moments:
            return
        self.env.ref(QUEUE_CRONS[mailing_type]).sudo()._trigger(at=sorted(moments))
        self.env.ref("mass_mailing.ir_cron_mass_mailing_queue").sudo()._trigger(
            at=sorted(moment + DONE_CHECK_DELAY for moment in moments)
        )

    def _affinity_best_hour_plan(self, res_ids, channel_code):
        """For a best-hour mailing, ``({res_id: moment}, {res_id: reason})``: the records whose message waits
        until their partner's best moment within the hours given, and those with no allowed moment in them.

        One question to the learned reachability for the whole batch; a record with no partner goes out now."""
        self.ensure_one()
        if not self.affinity_best_hour or not res_ids:
            return {}, {}
        partner_by_record = self._affinity_partner_by_record(list(res_ids), channel_code)
        if not partner_by_record:
            return {}, {}
        now = fields.Datetime.now()
        channel = self.env["affinity.channel"]._get_by_code(channel_code)
        moments = (
            self.env["affinity.reachability"]
            .sudo()
            ._best_moments(
                self.env["res.partner"].browse(set(partner_by_record.values())),
                channel,
                now,
                now + datetime.timedelta(hours=self.affinity_best_hour_within),
                purpose=self._affinity_purpose(),
                # A priority mailing is not held back by the budget: its person still waits for an hour
                # their windows and quiet days allow.
                check_pressure=not self.sudo().affinity_priority,
            )
        )
        hold, absent = {}, {}
        for res_id, partner_id in partner_by_record.items():
            moment = moments.get(partner_id)
            if not moment:
                absent[res_id] = partner_id
            elif moment.when > now:
                hold[res_id] = moment.when
        return hold, self._affinity_no_moment_reasons(absent, channel, now)

    def _affinity_no_moment_reasons(self, partner_by_record, channel, now):
        """{res_id: reason} for records whose partner has no allowed moment ahead within the hours given: the
        decision's own reason now. One the decision allows now (the hour under way is theirs, or a priority
        mailing over their budget) goes out now instead."""
        if not partner_by_record:
            return {}
        decisions = (
            self.env["res.partner"]
            .browse(set(partner_by_record.values()))
            ._affinity_contact_decision(
                channel, self._affinity_purpose(), when=now, check_pressure=not self.sudo().affinity_priority
            )
        )
        known_failures = {code for code, _label in FAILURE_TYPES}
        cancel = {}
        for res_id, partner_id in partner_by_record.items():
            decision = decisions.get(partner_id)
            if decision and decision.allowed:
                continue
            reason = decision.reason if decision else "outside_window"
            cancel[res_id] = reason if failure_type_for(reason) in known_failures else "outside_window"
        return cancel

    def _get_recipients_domain(self):
        """Odoo's default recipients leave blacklisted addresses out; a service mailing keeps them at the send,
        for the send to tell a mirrored marketing "no" from a person's own blacklisting. The domain as the
        person set it is kept."""
        domain = super()._get_recipients_domain()
        if self._affinity_purpose_passes_mirrors():
            domain = [
                TRUE_LEAF if isinstance(leaf, (list, tuple)) and tuple(leaf) in BLACKLIST_LEAVES else leaf
                for leaf in expression.normalize_domain(domain)
            ]
        return domain

    def _affinity_purpose_passes_mirrors(self):
        """Is this mailing's purpose one that a marketing "no" does not stop (a service mailing)?"""
        purpose = self._affinity_purpose()
        return purpose.code != "marketing" and not purpose.pressure

    def _affinity_purpose(self):
        """The purpose the contact decision asks for this mailing: marketing unless an administrator said."""
        self.ensure_one()
        return self.sudo().affinity_purpose_id or self.env.ref("crm_affinity.affinity_purpose_marketing")

    @api.model
    def _affinity_release_held(self, held, channel_code, res_id_of):
        """Ask the decision again for held messages (``mail.mail`` or ``sms.sms``) as they leave: cancel the
        ones it now forbids, their traces too, with its reason; return the cancelled ones.

        One question per mailing. Each held message reserved its place in its person's contact budget; the
        batch is decided mailing by mailing, each counting the messages of the mailings already let through
        in this batch and leaving out its own and the later ones': two held messages for one person never
        pass together over the cap. Writes: one per failure type."""
        undecided = set(held.mailing_trace_ids.ids)
        cancelled = {}
        for mailing, messages in sorted(held.grouped("mailing_id").items(), key=lambda item: item[0].id):
            res_ids = {message: res_id_of(message) for message in messages}
            blocked = mailing._affinity_consent_blocked(
                [rid for rid in res_ids.values() if rid], channel_code, releasing=undecided
            )
            undecided -= set(messages.mailing_trace_ids.ids)
            for message, res_id in res_ids.items():
                if res_id in blocked:
                    failure_type = failure_type_for(blocked[res_id])
                    cancelled[failure_type] = cancelled.get(failure_type, held.browse()) | message
        for failure_type, messages in cancelled.items():
            messages.write({"state": CANCELLED_STATE[held._name], "failure_type": failure_type})
            messages.mailing_trace_ids.write({"trace_status": "cancel", "failure_type": failure_type})
        return held.browse().union(*cancelled.values())

    def _affinity_consent_blocked(self, res_ids, channel_code, releasing=()):
        """Target records the contact decision holds back from this mailing: {res_id: reason}.

        ``releasing``: the held traces being released now (this mailing's and the batch's later ones), which
        do not count against the budget they reserved."""
        self.ensure_one()
        partner_by_record = self._affinity_partner_by_record(res_ids, channel_code)
        if not partner_by_record:
            return {}
        partners = self.env["res.partner"].browse(set(partner_by_record.values()))
        # A citizen's RET reaches no pull (changes?source=IYS answers empty): stale approvals are asked first.
        self.env["affinity.iys.account"].sudo()._confirm_before_sending(partners, channel_code)
        decisions = partners._affinity_contact_decision(
            channel_code,
            self._affinity_purpose(),
            check_window=False,
            check_pressure=not self.sudo().affinity_priority,
            releasing=releasing,
        )
        blocked = {}
        for res_id, partner_id in partner_by_record.items():
            decision = decisions.get(partner_id)
            if decision and not decision.allowed and decision.reason not in MAILING_UNBLOCKED_REASONS:
                blocked[res_id] = decision.reason
        return blocked

    def _affinity_cancel_reasons(self, res_ids, channel_code, odoo_blacklisted):
        """{res_id: reason} of the records to cancel, each with the consent's own reason.

        ``odoo_blacklisted``: the records Odoo's blacklist cancelled already; each gets the reason the
        decision gives, or *blacklisted* when the decision lets it through (a service message to a person
        who put themselves on Odoo's blacklist), instead of Odoo's bare code."""
        reasons = self._affinity_consent_blocked(res_ids, channel_code)
        if odoo_blacklisted:
            partner_by_record = self._affinity_partner_by_record(list(odoo_blacklisted), channel_code)
            for res_id in odoo_blacklisted:
                if res_id in partner_by_record:
                    reasons.setdefault(res_id, "blacklisted")
        return reasons

    def _affinity_blacklist_mirrors(self, res_ids, channel_code):
        """Of the records Odoo's blacklist would stop, those a mailing of a purpose that is not marketing
        still reaches: their partner's entry only mirrors a marketing "no" given elsewhere (the preference
        centre, a call, an import), which speaks for marketing alone. An entry the person put on Odoo's
        blacklist themselves (their marketing consent then says *Odoo blacklist*) is honoured."""
        self.ensure_one()
        if not res_ids or not self._affinity_purpose_passes_mirrors():
            return set()
        partner_by_record = self._affinity_partner_by_record(list(res_ids), channel_code)
        if not partner_by_record:
            return set()
        mirrored = (
            self.env["affinity.consent"]
            .sudo()
            .search(
                [
                    ("partner_id", "in", list(set(partner_by_record.values()))),
                    ("channel_id.code", "=", channel_code),
                    ("purpose_id.code", "=", "marketing"),
                    ("state", "=", "denied"),
                    ("source", "!=", "blacklist"),
                ]
            )
            .partner_id.ids
        )
        return {res_id for res_id, partner_id in partner_by_record.items() if partner_id in mirrored}

    def _affinity_partner_by_record(self, res_ids, channel_code):
        """The partner each target stands for: itself, its partner_id, or the partner with its address."""
        if self.mailing_model_real == "res.partner":
            # The decision reads the partners themselves; a deleted one simply gets no decision.
            return dict(zip(res_ids, res_ids, strict=True))
        records = self.env[self.mailing_model_real].browse(res_ids).exists()
        if "partner_id" in records._fields:
            linked = {record.id: record.partner_id.id for record in records if record.partner_id}
        else:
            linked = {}
        unlinked = records.filtered(lambda r: r.id not in linked)
        if channel_code == "email" and unlinked and "email_normalized" in unlinked._fields:
            emails = {r.id: r.email_normalized for r in unlinked if r.email_normalized}
            partners = self.env["res.partner"].search_read(
                [("email_normalized", "in", list(set(emails.values())))], ["email_normalized"]
            )
            partner_by_email = {p["email_normalized"]: p["id"] for p in partners}
            for res_id, email in emails.items():
                if email in partner_by_email:
                    linked[res_id] = partner_by_email[email]
        return linked
