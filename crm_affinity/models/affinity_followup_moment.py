"""When and over which channel a follow-up reaches its person: their best allowed moment on the due day.

The learned reachability (``affinity.reachability._best_moments``) is asked once per group of follow-ups that
share a due day, a time zone and a set of candidate channels, never once per follow-up; it answers only with
moments the contact decision allows. A follow-up without one keeps the rule's hour, and the dispatch then waits
or skips with the decision's reason, as before.
"""

import datetime

from markupsafe import Markup

from odoo import fields, models

from ..tools.dates import zone as _zone
from .affinity_followup import AUTOMATED_CHANNELS, DEFAULT_CHANNEL_ORDER


def _local_day_utc(day, tz):
    """[start, end) of a local day ``day`` in time zone ``tz``, as naive UTC moments."""
    zone = _zone(tz)
    start = datetime.datetime.combine(day, datetime.time(), tzinfo=zone)
    end = datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time(), tzinfo=zone)
    return tuple(moment.astimezone(datetime.UTC).replace(tzinfo=None) for moment in (start, end))


class AffinityFollowup(models.Model):
    _inherit = "affinity.followup"

    best_moment = fields.Datetime(
        readonly=True,
        help="The person's best moment on the due day among those their permissions allow, learned from their "
        "own responses (the company's default hours when they have shown nothing yet).",
    )
    best_channel_id = fields.Many2one(
        "affinity.channel",
        readonly=True,
        help="The channel the person is most likely to answer at that moment, among those allowed.",
    )
    best_propensity = fields.Float(
        string="Chance of an Answer (%)", readonly=True, aggregator="avg", digits=(5, 1)
    )
    best_reason = fields.Char(string="Why Then", readonly=True)

    def _candidate_channels(self, rule, channels):
        """The channels a follow-up of ``rule`` may use for this partner: the rule's own, else the partner's
        listed channels (all channels in the default order when none listed), those without a template out."""
        self.ensure_one()
        if rule.action in AUTOMATED_CHANNELS:
            return channels.filtered(lambda c: c.code == rule.action)
        if rule.action == "activity":
            return rule._activity_type().affinity_channel_id
        listed = self.partner_id.affinity_channel_ids.sorted("sequence").channel_id
        order = listed or channels.filtered(lambda c: c.code in DEFAULT_CHANNEL_ORDER)
        return order.filtered(lambda c: c.code not in AUTOMATED_CHANNELS or self._template_for(rule, c.code))

    def _plan_best_moments(self, now=None):
        """Set each planned follow-up's moment to its person's best allowed one on its due day (a message
        then goes out at it; a task shows it), and the channel to use; one question per group."""
        now = now or fields.Datetime.now()
        planned = self.filtered(lambda f: f.state == "planned")
        if not planned:
            return
        channels = self.env["affinity.channel"].search([("active", "=", True)])
        groups = {}
        for followup in planned:
            candidates = followup._candidate_channels(followup.rule_id, channels)
            if not candidates:
                continue
            key = (followup.rule_id, followup.due_date, followup.partner_id.tz or "UTC", candidates)
            groups.setdefault(key, []).append(followup.id)
        reachability = self.env["affinity.reachability"].sudo()
        for (rule, due_date, tz, candidates), ids in groups.items():
            followups = self.browse(ids)
            start, end = _local_day_utc(due_date, tz)
            start = max(start, now)
            if start >= end:
                continue  # a day of the grace period that is over: it goes out as soon as it may
            moments = reachability._best_moments(
                followups.partner_id, candidates, start, end, purpose=rule.purpose_id
            )
            for followup in followups:
                moment = moments.get(followup.partner_id.id)
                if not moment:
                    continue
                if not moment.learned:
                    # Nothing learned from this person yet: the rule's hour and their own order of channels.
                    followup.best_reason = self.env._(
                        "Nothing learned from this customer yet: the rule's hour and their channel order"
                    )
                    continue
                values = {
                    "best_moment": max(moment.when, start),
                    "best_channel_id": moment.channel_id,
                    "best_propensity": moment.propensity * 100.0,
                    "best_reason": moment.reason,
                }
                if rule.action != "activity":
                    # A message goes out at the moment; a task is handed over on the day and shows it.
                    values["due_datetime"] = values["best_moment"]
                followup.write(values)

    def _note_with_best_moment(self, note):
        """The task's note, with the moment and channel the customer is best reached at and why."""
        self.ensure_one()
        if not self.best_moment:
            return note
        local = fields.Datetime.context_timestamp(
            self.with_context(tz=self.user_id.tz or "UTC"), self.best_moment
        )
        line = self.env._(
            "Best reached at %(moment)s by %(channel)s: %(reason)s",
            moment=local.strftime("%H:%M"),
            channel=self.best_channel_id.name or "",
            reason=self.best_reason or "",
        )
        return Markup("%s<p>%s</p>") % (Markup(note or ""), line)
