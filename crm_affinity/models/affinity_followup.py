import dataclasses
import datetime

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from ..tools.batching import process_in_batches
from ..tools.reasons import REASON_LABELS, reason_label

STATES = [
    ("planned", "Planned"),
    ("sent", "Sent / handed over"),
    ("done", "Done"),
    ("skipped", "Skipped"),
    ("failed", "Failed"),
]
OUTCOMES = [
    ("successful", "Successful"),
    ("no_answer", "No answer"),
    ("unsuccessful", "Unsuccessful"),
    ("rescheduled", "Rescheduled"),
]
# Channels this addon sends by itself; any other permitted channel is handed to a person.
AUTOMATED_CHANNELS = ("email", "sms")
DEFAULT_CHANNEL_ORDER = ("email", "sms", "phone")
# Reasons that only say "not now": the follow-up waits for their next free moment.
WAITING_REASONS = ("outside_window", "pressure", "quiet_until", "quiet_day")


class AffinityFollowup(models.Model):
    """One occurrence of a rule for one customer: planned once, acted on once, or skipped with a reason."""

    _name = "affinity.followup"
    _description = "Affinity Follow-up"
    _order = "due_datetime, id"

    rule_id = fields.Many2one("affinity.followup.rule", required=True, ondelete="restrict", index=True)
    partner_id = fields.Many2one("res.partner", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one("res.company", required=True, index=True)
    action = fields.Selection(related="rule_id.action", store=True)
    trigger = fields.Selection(related="rule_id.trigger", store=True)
    occurrence_date = fields.Date(required=True, help="The day the event is for, e.g. the birthday.")
    due_date = fields.Date(required=True, index=True)
    due_datetime = fields.Datetime(string="Due At", index=True)
    user_id = fields.Many2one("res.users", string="Responsible", index=True)
    res_model = fields.Char(string="Source Model")
    res_id = fields.Integer(string="Source Record")
    source_ref = fields.Reference(
        selection="_selection_source_ref", compute="_compute_source_ref", string="Because Of"
    )
    state = fields.Selection(STATES, required=True, default="planned", index=True)
    channel_id = fields.Many2one("affinity.channel", string="Channel Used")
    reason = fields.Char(
        string="Reason Code", help="Code of the consent decision when skipped or deferred, for integrations."
    )
    reason_label = fields.Char(string="Reason", compute="_compute_reason_label")
    reason_kind = fields.Selection(
        selection="_selection_reason_kind",
        string="Why Not",
        compute="_compute_reason_kind",
        store=True,
        help="The reason, one kind per follow-up, for grouping and dashboards.",
    )
    activity_id = fields.Many2one("mail.activity", ondelete="set null")
    handed_on = fields.Date(readonly=True, index=True, help="The day the task was handed to its person.")
    message_id = fields.Many2one("mail.message", ondelete="set null")
    outcome = fields.Selection(OUTCOMES)
    outcome_note = fields.Text()
    done_date = fields.Datetime(readonly=True)
    success_rate = fields.Float(
        compute="_compute_success_rate", store=True, aggregator="avg", string="Success (%)"
    )

    _sql_constraints = [
        (
            "occurrence_uniq",
            "unique(rule_id, partner_id, occurrence_date)",
            "A rule acts once per customer and occurrence.",
        ),
    ]

    @api.model
    def _selection_source_ref(self):
        # In the reader's language: the list shows these words as the kind of what a follow-up is about.
        return [
            ("res.partner", self.env._("Contact")),
            ("affinity.date", self.env._("Important date")),
            ("sale.order", self.env._("Sale order")),
            ("crm.lead", self.env._("Opportunity")),
            ("affinity.complaint", self.env._("Complaint")),
        ]

    @api.depends("res_model", "res_id")
    def _compute_source_ref(self):
        for followup in self:
            followup.source_ref = (
                f"{followup.res_model},{followup.res_id}" if followup.res_model and followup.res_id else False
            )

    @api.depends("rule_id", "partner_id")
    def _compute_display_name(self):
        for followup in self:
            followup.display_name = f"{followup.rule_id.name} – {followup.partner_id.name}"

    @api.model
    def _selection_reason_kind(self):
        return [(code, reason_label(self.env, code)) for code in REASON_LABELS]

    @api.depends("reason")
    def _compute_reason_kind(self):
        for followup in self:
            reasons = followup.reason or ""
            if ", " in reasons:
                # A channel walk that found no channel: every channel said no.
                kind = "no_permitted_channel"
            else:
                kind = reasons.rpartition(":")[2]
            followup.reason_kind = kind if kind in REASON_LABELS else False

    @api.depends("reason")
    @api.depends_context("lang")
    def _compute_reason_label(self):
        for followup in self:
            followup.reason_label = reason_label(self.env, followup.reason)

    @api.depends("state", "outcome")
    def _compute_success_rate(self):
        for followup in self:
            if followup.state == "done" and followup.outcome:
                followup.success_rate = 100.0 if followup.outcome == "successful" else 0.0
            else:
                followup.success_rate = 0.0

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------

    def action_mark_done(self):
        """A person did it: record the outcome (successful unless said otherwise)."""
        for followup in self:
            if followup.state in ("skipped", "failed"):
                raise UserError(
                    self.env._("%s was not carried out: it cannot be marked done.", followup.display_name)
                )
        self._record_done(origin="followup")
        return True

    def _record_done(self, origin, feedback=False):
        """The one way a follow-up becomes done, and its activity with it; ``origin`` says who said so.

        - ``"followup"``: a person closed the follow-up; its outcome stays (successful unless set) and its
          open activity is marked done too;
        - ``"activity"``: the activity was marked done, which is the follow-up's successful outcome.

        Marking the activity done comes back here with origin ``"activity"`` and finds nothing left open:
        the follow-up is done already, so the echo stops by state, not by a flag in the context.
        """
        vals = {"state": "done", "done_date": fields.Datetime.now()}
        if origin == "activity":
            vals.update(outcome="successful", outcome_note=feedback or False)
        self.write(vals)
        if origin == "followup":
            for followup in self.filtered(lambda f: not f.outcome):
                followup.outcome = "successful"
            if self.activity_id:
                self.activity_id.action_feedback(feedback=self.env._("Done from the follow-up"))

    def action_set_outcome_no_answer(self):
        self.outcome = "no_answer"
        return self.action_mark_done()

    def action_set_outcome_unsuccessful(self):
        self.outcome = "unsuccessful"
        return self.action_mark_done()

    def action_reschedule(self):
        """Not now: move it one week later, keeping the history of what happened."""
        for followup in self:
            followup.write(
                {
                    "outcome": "rescheduled",
                    "due_date": followup.due_date + datetime.timedelta(days=7),
                    "due_datetime": (followup.due_datetime or fields.Datetime.now())
                    + datetime.timedelta(days=7),
                    "state": "planned",
                }
            )
            if followup.activity_id:
                followup.activity_id.date_deadline = followup.due_date
        return True

    # ------------------------------------------------------------------
    # Dispatching: acting once, inside windows, through the one consent decision
    # ------------------------------------------------------------------

    @api.model
    def _cron_dispatch(self, batch_size=500):
        """Every 15 minutes: act on what is due. Thin: the follow-ups do the work."""
        due = self.search([("state", "=", "planned"), ("due_datetime", "<=", fields.Datetime.now())])
        process_in_batches(due, lambda batch: batch._dispatch(), batch_size)

    def _lock_planned(self):
        """Rows still planned that no other worker holds: two dispatchers never act on the same one."""
        self.flush_recordset()
        rows = self.env.execute_query(
            SQL(
                """SELECT id FROM affinity_followup
                    WHERE id = ANY(%s) AND state = 'planned'
                    FOR UPDATE SKIP LOCKED""",
                self.ids,
            )
        )
        locked = self.browse([row[0] for row in rows])
        locked.invalidate_recordset(["state"])
        return locked

    def _dispatch(self, now=None):
        now = now or fields.Datetime.now()
        followups = self._lock_planned()
        for (action, rule), group in followups.grouped(lambda f: (f.rule_id.action, f.rule_id)).items():
            if action == "activity":
                group._dispatch_activity(rule, now)
            elif action in ("email", "sms"):
                group._dispatch_channel(rule, action, now)
            else:
                group._dispatch_best_channel(rule, now)

    def _dispatch_activity(self, rule, now):
        """Hand the follow-ups to a person; a task that reaches the customer obeys the consent decision."""
        activity_type = rule._activity_type()
        channel = activity_type.affinity_channel_id
        if not channel:
            self._hand_over(activity_type, now=now)
            return
        decisions = self.partner_id._affinity_contact_decision(
            channel, rule.purpose_id, when=now, check_window=False
        )
        allowed = self.filtered(lambda f: decisions[f.partner_id.id].allowed)
        allowed._hand_over(activity_type, channel, now=now)
        waiting = self - allowed
        working_days = waiting._working_days() if waiting else {}
        for followup in waiting:
            # A quiet day or the budget only says "not now": the task waits, within the rule's limit, for a
            # moment its person works too.
            decision = followup._on_working_day(decisions[followup.partner_id.id], working_days)
            if not followup._wait_for(decision):
                followup._skip(channel, decision.reason)

    def _hand_over(self, activity_type, channel=None, now=None):
        """Schedule the rule's activity for the responsible person, on the customer; beyond a fair day's
        work the rest wait for the person's next working days, most valuable and most overdue first."""
        today = (now or fields.Datetime.now()).date()
        working_days = self._working_days()
        for followup in self._spread_workload(today, working_days):
            rule = followup.rule_id
            summary = rule.activity_summary or rule.name
            if channel and activity_type.affinity_channel_id != channel:
                summary = self.env._("%(summary)s (by %(channel)s)", summary=summary, channel=channel.name)
            activity = followup.partner_id.sudo().activity_schedule(
                activity_type_id=activity_type.id,
                summary=summary,
                note=followup._note_with_best_moment(rule.activity_note or ""),
                # On a working day of the person: never before today, nor on a weekend or holiday of theirs.
                date_deadline=working_days[followup._person_key()].next_working_day(
                    max(followup.due_date, today), include=True
                ),
                user_id=followup.user_id.id or self.env.uid,
            )
            followup.write(
                {
                    "state": "sent",
                    "activity_id": activity.id,
                    "channel_id": channel.id if channel else False,
                    "reason": False,
                    "handed_on": today,
                }
            )

    def _person_key(self):
        self.ensure_one()
        return (self.user_id.id or self.env.uid, (self.company_id or self.env.company).id)

    def _working_days(self):
        """``{(user id, company id): DaysOff}``: each person's working days, from their working calendar in
        Odoo (their resource's, an employee's, in the follow-up's company), else the company's, with the
        public holidays and their own time off."""
        by_company = {}
        for user_id, company_id in {followup._person_key() for followup in self}:
            by_company.setdefault(company_id, []).append(user_id)
        result = {}
        for company_id, user_ids in by_company.items():
            company = self.env["res.company"].browse(company_id)
            days_off = company._affinity_working_days_of(self.env["res.users"].browse(user_ids))
            result.update(((user_id, company_id), days_off[user_id]) for user_id in user_ids)
        return result

    def _spread_workload(self, today, working_days=None):
        """The follow-ups that fit today's cap of their person, on a working day of theirs; the others
        planned on that person's next working days."""
        working_days = working_days or self._working_days()
        self.flush_model(["user_id", "handed_on", "state"])
        users = self.mapped(lambda f: f.user_id.id or self.env.uid)
        handed = dict(
            self._read_group(
                [("user_id", "in", users), ("handed_on", "=", today), ("state", "in", ("sent", "done"))],
                ["user_id"],
                ["__count"],
            )
        )
        handed = {user.id: count for user, count in handed.items()}
        keep = self.browse()
        later = {}
        for (user_id, company_id), group in self.grouped(lambda f: f._person_key()).items():
            cap = self.env["res.company"].browse(company_id).affinity_tasks_per_day
            days_off = working_days[user_id, company_id]
            working = days_off.is_working_day(today)
            if working and not cap:
                keep |= group
                continue
            ordered = group.sorted(lambda f: (-(f.partner_id.sudo().affinity_ltv or 0.0), f.due_date, f.id))
            # Not a working day of theirs (a Sunday, a holiday, their time off): it all waits.
            room = max(cap - handed.get(user_id, 0), 0) if working else 0
            keep |= ordered[:room]
            overflow, day = ordered[room:], today
            per_day = cap or len(overflow)
            for start in range(0, len(overflow), per_day):
                day = days_off.next_working_day(day)
                later[day] = later.get(day, self.browse()) | overflow[start : start + per_day]
        for day, followups in later.items():
            followups.write(
                {"due_datetime": datetime.datetime.combine(day, datetime.time(6, 0)), "reason": "workload"}
            )
        return keep

    def _on_working_day(self, decision, working_days):
        """The decision for a task handed to a person: the customer's next free moment may fall on a day
        its person does not work (a weekend after a holiday, their time off); the task's next free moment
        is then the start of their next working day, and the rule's *Wait at Most* counts to that day."""
        self.ensure_one()
        if decision.allowed or decision.reason not in WAITING_REASONS or not decision.next_allowed:
            return decision
        moment = decision.next_allowed
        day = working_days[self._person_key()].next_working_day(moment.date(), include=True)
        if day == moment.date():
            return decision
        return dataclasses.replace(decision, next_allowed=datetime.datetime.combine(day, datetime.time()))

    def _wait_for(self, decision):
        """Put the follow-up off to the decision's next free moment, within the rule's limit: done or not."""
        self.ensure_one()
        if decision.reason not in WAITING_REASONS or not decision.next_allowed:
            return False
        if decision.reason != "outside_window":
            limit = datetime.datetime.combine(self.due_date, datetime.time.max) + datetime.timedelta(
                days=self.rule_id.max_wait_days
            )
            if decision.next_allowed > limit:
                return False
        self.write({"due_datetime": decision.next_allowed, "reason": decision.reason})
        return True

    def _skip(self, channel, reason):
        self.write({"state": "skipped", "reason": reason, "channel_id": channel.id if channel else False})

    def _dispatch_channel(self, rule, channel_code, now):
        """Send over one channel, or defer to the next window, or skip with the decision's reason."""
        channel = self.env["affinity.channel"]._get_by_code(channel_code)
        decisions = self.partner_id._affinity_contact_decision(channel, rule.purpose_id, when=now)
        for followup in self:
            decision = decisions[followup.partner_id.id]
            if decision.allowed:
                followup._send(channel)
            elif not followup._wait_for(decision):
                followup._skip(channel, decision.reason)

    def _dispatch_best_channel(self, rule, now):
        """Walk each customer's preferred channels; the first one consent allows wins.

        Allowed but outside the window: wait for the window. Allowed but not one this addon sends:
        a person does it, with an activity of that channel. None allowed: skipped, with every reason.
        """
        channels = self.env["affinity.channel"].search([("active", "=", True)])
        partners = self.partner_id
        decisions = {
            channel: partners._affinity_contact_decision(
                channel, rule.purpose_id, when=now, check_window=False
            )
            for channel in channels
        }
        windows, working_days = {}, None
        for followup in self:
            partner = followup.partner_id
            order = partner.affinity_channel_ids.sorted("sequence").channel_id or channels.filtered(
                lambda c: c.code in DEFAULT_CHANNEL_ORDER
            ).sorted(lambda c: DEFAULT_CHANNEL_ORDER.index(c.code))
            if followup.best_channel_id in order:
                # The channel the person answers best at this moment is tried first; the rest as listed.
                order = followup.best_channel_id | order
            chosen = None
            reasons = []
            for channel in order:
                if channel.code in AUTOMATED_CHANNELS and not self._template_for(rule, channel.code):
                    continue
                decision = decisions[channel][partner.id]
                if decision.allowed:
                    chosen = channel
                    break
                reasons.append(f"{channel.code}:{decision.reason}")
            if not chosen:
                if working_days is None:
                    working_days = self._working_days()
                # A channel a person works (a call, a visit) waits for a working day of theirs.
                waits = [
                    decisions[channel][partner.id]
                    if channel.code in AUTOMATED_CHANNELS
                    else followup._on_working_day(decisions[channel][partner.id], working_days)
                    for channel in order
                    if decisions[channel][partner.id].reason in WAITING_REASONS
                ]
                if not (waits and followup._wait_for(min(waits, key=lambda d: d.next_allowed or now))):
                    followup._skip(None, ", ".join(reasons) or "no_permitted_channel")
                continue
            if chosen.code not in AUTOMATED_CHANNELS:
                followup._hand_over(rule._activity_type(chosen), chosen, now=now)
                continue
            if chosen not in windows:
                windows[chosen] = partners._affinity_contact_decision(chosen, rule.purpose_id, when=now)
            in_window = windows[chosen][partner.id]
            if not in_window.allowed and in_window.next_allowed:
                followup.write({"due_datetime": in_window.next_allowed, "reason": in_window.reason})
                continue
            followup._send(chosen)

    @api.model
    def _template_for(self, rule, channel_code):
        return rule.mail_template_id if channel_code == "email" else rule.sms_template_id

    def _send(self, channel):
        """Post the rule's template to the customer over the channel; the message is the proof."""
        self.ensure_one()
        partner = self.partner_id.sudo()
        template = self._template_for(self.rule_id, channel.code)
        if not template:
            self.write({"state": "failed", "reason": "no_template", "channel_id": channel.id})
            return
        if channel.code == "email":
            message = partner.message_post_with_source(
                template,
                message_type="comment",
                subtype_xmlid="mail.mt_comment",
                partner_ids=partner.ids,
            )
        else:
            message = partner._message_sms_with_template(template=template, partner_ids=partner.ids)
        self.write({"state": "sent", "channel_id": channel.id, "message_id": message.id, "reason": False})
        if self.res_model == "affinity.complaint":
            self.env["affinity.complaint"].browse(self.res_id).sudo().last_update_sent = fields.Datetime.now()
