"""When and how each person likes to be reached, learned from their own answers (issue #31).

One row per partner × channel × slot of the week (``tools/reachability.py``) holds the recency-weighted
contacts and answers the learner (``affinity_reachability_learner.py``) folded in. Callers ask
``_best_moments`` (follow-ups, mass mailings) or ``_propensity_now`` (the call list); both choose only among
the moments and channels the one contact decision allows.
"""

import datetime
import math

import numpy as np

from odoo import api, fields, models
from odoo.tools import SQL

from ..tools.dates import zone
from ..tools.reachability import (
    LEARNED_MIN,
    LEVEL_STRENGTH,
    PROMPT_ACTIVITY,
    SLOTS,
    BestMoment,
    best_block,
    company_pattern,
    person_rates,
    segment_pattern,
)
from ..tools.sql import id_array

# At most one week of hourly moments is weighed per call: every slot of the week once.
MAX_MOMENTS = SLOTS
# Partners weighed together: their profiles (channels × 3 × 168 floats each) stay in memory.
CHUNK = 20000
EPOCH_PARAM = "crm_affinity.reach_epoch"
DEFAULT_HALF_LIFE = 90


def local_slot(when, tz):
    """The week's slot a naive UTC moment falls in, in time zone ``tz``."""
    local = when.replace(tzinfo=datetime.UTC).astimezone(tz)
    return local.weekday() * 24 + local.hour


class AffinityReachability(models.Model):
    """A person's recency-weighted contacts and answers over one channel in one hour of the week.

    ``weight_n`` and ``weight_k`` are stored at the epoch's scale (``crm_affinity.reach_epoch``): a contact at
    moment t weighs 2^((t - epoch) / half-life), so folding new evidence is an addition and the decay is one
    factor applied when reading, 2^(-(now - epoch) / half-life)."""

    _name = "affinity.reachability"
    _description = "Affinity Reachability Evidence"
    _order = "partner_id, channel_id, slot"
    _log_access = False

    # The unique (partner, channel, slot) index serves a partner's rows.
    partner_id = fields.Many2one("res.partner", required=True, ondelete="cascade")
    # The partner's: read through the partner (no column, no key to check on each of a night's rows).
    company_id = fields.Many2one(related="partner_id.company_id")
    channel_id = fields.Many2one("affinity.channel", required=True, ondelete="cascade")
    slot = fields.Integer(
        required=True, help="Hour of the week in the person's time zone: weekday × 24 + hour."
    )
    weight_n = fields.Float(string="Contacts (epoch scale)", readonly=True)
    weight_k = fields.Float(string="Prompt Answers (epoch scale)", readonly=True)
    weight_a = fields.Float(
        string="Later Answers (epoch scale)",
        readonly=True,
        help="Answers that came later than the contact's hour, or unprompted, counted in the hour they came.",
    )
    last_seen = fields.Datetime(readonly=True)

    _sql_constraints = [
        (
            "partner_channel_slot_uniq",
            "unique(partner_id, channel_id, slot)",
            "One row per partner, channel and hour of the week.",
        ),
    ]

    # ------------------------------------------------------------------------------------------------------
    # Reading the learned model
    # ------------------------------------------------------------------------------------------------------
    @api.model
    def _epoch(self):
        """The moment the stored weights are scaled to (set by the first learning run)."""
        value = self.env["ir.config_parameter"].sudo().get_param(EPOCH_PARAM)
        return fields.Datetime.to_datetime(value) if value else None

    @api.model
    def _decay(self, half_life, at):
        """The factor that brings epoch-scale weights to moment ``at`` for a half-life in days."""
        epoch = self._epoch()
        if not epoch:
            return 0.0
        days = (at - epoch).total_seconds() / 86400.0
        return math.pow(2.0, -days / max(half_life or DEFAULT_HALF_LIFE, 1))

    @api.model
    def _partner_facts(self, partners):
        """{partner_id: (company_id, segment_id, time zone name)} in one statement; the zone falls back on
        the company's (its partner's, else its calendar's), else UTC."""
        self.env["res.partner"].flush_model(["tz", "company_id", "affinity_segment_id"])
        rows = self.env.execute_query(
            SQL(
                """
                SELECT p.id, COALESCE(p.company_id, %(company)s), p.affinity_segment_id,
                       COALESCE(NULLIF(p.tz, ''), NULLIF(cp.tz, ''), rc.tz, 'UTC')
                  FROM res_partner p
                  JOIN res_company c ON c.id = COALESCE(p.company_id, %(company)s)
                  JOIN res_partner cp ON cp.id = c.partner_id
                  LEFT JOIN resource_calendar rc ON rc.id = c.resource_calendar_id
                 WHERE p.id = ANY(%(ids)s::int[])
                """,
                company=self.env.company.id,
                ids=id_array(partners.ids),
            )
        )
        return {row[0]: row[1:] for row in rows}

    @api.model
    def _evidence(self, partner_ids, channel_ids, at):
        """The evidence of these partners decayed to ``at``, read in one statement, as arrays:
        ``(nka, activity)``, ``nka[p, c]`` the contacts, prompt answers and later answers (3, 168) of
        ``partner_ids[p]`` over ``channel_ids[c]``, ``activity[p]`` their answers over every channel at the hour
        they came (a prompt one for ``PROMPT_ACTIVITY``)."""
        self.flush_model()
        rows = self.env.execute_query(
            SQL(
                """
                SELECT r.partner_id, r.channel_id, r.slot, r.weight_n, r.weight_k, COALESCE(r.weight_a, 0),
                       COALESCE(c.affinity_reach_half_life, %(half_life)s)
                  FROM affinity_reachability r
                  JOIN res_partner p ON p.id = r.partner_id
                  LEFT JOIN res_company c ON c.id = COALESCE(p.company_id, %(company)s)
                 WHERE r.partner_id = ANY(%(ids)s::int[])
                """,
                half_life=DEFAULT_HALF_LIFE,
                company=self.env.company.id,
                ids=id_array(partner_ids),
            )
        )
        nka = np.zeros((len(partner_ids), len(channel_ids), 3, SLOTS))
        activity = np.zeros((len(partner_ids), SLOTS))
        if not rows:
            return nka, activity
        table = np.array(rows, dtype=float)
        order = np.asarray(partner_ids)
        sorter = np.argsort(order)
        row = sorter[np.searchsorted(order, table[:, 0], sorter=sorter)]
        slot = table[:, 2].astype(int)
        factor = np.ones(len(table))
        for half_life in np.unique(table[:, 6]):
            factor[table[:, 6] == half_life] = self._decay(int(half_life), at)
        np.add.at(activity, (row, slot), (table[:, 5] + PROMPT_ACTIVITY * table[:, 4]) * factor)
        for column, channel_id in enumerate(channel_ids):
            mine = table[:, 1] == channel_id
            for measure in range(3):
                nka[row[mine], column, measure, slot[mine]] = table[mine, 3 + measure] * factor[mine]
        return nka, activity

    @api.model
    def _patterns(self, keys, channel_ids):
        """{(company_id, segment_id, channel_id): Pattern}: each segment's pattern shrunk toward its
        company's, from the aggregates the last learning run kept (``affinity.reachability.pattern``)."""
        self.env["affinity.reachability.pattern"].flush_model()
        company_ids = list({company_id for company_id, _segment in keys})
        rows = self.env.execute_query(
            SQL(
                """SELECT company_id, COALESCE(segment_id, 0), channel_id, slot, contacts, answers, later,
                          level_strength
                     FROM affinity_reachability_pattern WHERE company_id = ANY(%s)""",
                company_ids,
            )
        )
        counts, activity, strengths = {}, {}, {}
        for company_id, segment_id, channel_id, slot, contacts, answers, later, strength in rows:
            if strength:
                strengths[company_id, channel_id] = strength
            nka = counts.setdefault((company_id, segment_id, channel_id), np.zeros((3, SLOTS)))
            nka[:, slot] = contacts, answers, later or 0.0
            activity.setdefault((company_id, segment_id), np.zeros(SLOTS))[slot] += (
                later or 0.0
            ) + PROMPT_ACTIVITY * answers
        patterns = {}
        empty = np.zeros((3, SLOTS))
        for company_id, segment_id in keys:
            for channel_id in channel_ids:
                pattern = company_pattern(
                    *counts.get((company_id, 0, channel_id), empty),
                    activity.get((company_id, 0), empty[0]),
                    strengths.get((company_id, channel_id), LEVEL_STRENGTH),
                )
                if segment_id:
                    pattern = segment_pattern(
                        *counts.get((company_id, segment_id, channel_id), empty),
                        activity.get((company_id, segment_id), empty[0]),
                        pattern,
                    )
                patterns[company_id, segment_id or 0, channel_id] = pattern
        return patterns

    @api.model
    def _profiles(self, partners, channels, at):
        """What is learned of each partner on each channel, decayed to ``at``.

        :return: ({partner_id: tz}, {(partner_id, channel_id): (rates[168], n[168], k[168], learned)})
        """
        facts = self._partner_facts(partners)
        partner_ids = list(facts)
        if not partner_ids:
            return {}, {}
        channel_ids = channels.ids
        nka, activity = self._evidence(partner_ids, channel_ids, at)
        patterns = self._patterns({(f[0], f[1] or 0) for f in facts.values()}, channel_ids)
        profiles = {}
        for column, channel_id in enumerate(channel_ids):
            n, k, a = nka[:, column, 0], nka[:, column, 1], nka[:, column, 2]
            rates = person_rates(
                n,
                k,
                a,
                activity,
                [patterns[facts[pid][0], facts[pid][1] or 0, channel_id] for pid in partner_ids],
            )
            learned = (n.sum(axis=1) + a.sum(axis=1)) >= LEARNED_MIN
            for row, partner_id in enumerate(partner_ids):
                profiles[partner_id, channel_id] = (rates[row], n[row], k[row], bool(learned[row]))
        return {pid: zone(f[2]) for pid, f in facts.items()}, profiles

    # ------------------------------------------------------------------------------------------------------
    # The API
    # ------------------------------------------------------------------------------------------------------
    @api.model
    def _best_moments(self, partners, channels, start, end, purpose=None, check_pressure=True):
        """{partner_id: BestMoment} — each partner's best moment in [start, end) over the best of `channels`,
        only among moments the decision allows.

        Candidate moments are the UTC hour starts in [start, end) (the first at or after ``start``; at most
        one week of them). Each candidate channel × moment is put to ``partners._affinity_contact_decision``
        at most once, for the partners it could still improve on: a pair the partner already beat with an
        allowed one is not asked again. A partner with no allowed moment in the range is ABSENT from the
        result (the caller asks the decision for its reason). Ties go to the earlier moment, then to the
        caller's order of ``channels``. ``check_pressure``: passed to the decision (False for a priority
        mailing, which counts against the contact budget but is not held back by it).
        """
        purpose = purpose or self.env.ref("crm_affinity.affinity_purpose_marketing")
        if not partners or not channels:
            return {}
        first = start.replace(minute=0, second=0, microsecond=0)
        if first < start:
            first += datetime.timedelta(hours=1)
        moments = []
        while first < end and len(moments) < MAX_MOMENTS:
            moments.append(first)
            first += datetime.timedelta(hours=1)
        if not moments:
            return {}
        result = {}
        for offset in range(0, len(partners), CHUNK):
            result.update(
                self._best_moments_chunk(
                    partners[offset : offset + CHUNK], channels, moments, purpose, check_pressure
                )
            )
        return result

    @api.model
    def _best_moments_chunk(self, partners, channels, moments, purpose, check_pressure=True):
        """``_best_moments`` for one slice of partners (the learned profiles of a slice fit in memory)."""
        zones, profiles = self._profiles(partners, channels, moments[0])
        partner_ids = list(zones)
        if not partner_ids:
            return {}
        channel_list = list(channels)
        # score[p, m, c]: the partner's propensity at that moment, read in their own time zone.
        by_zone = {}
        for tz in set(zones.values()):
            by_zone[tz] = [local_slot(moment, tz) for moment in moments]
        slots = np.array([by_zone[zones[pid]] for pid in partner_ids])
        score = np.empty((len(partner_ids), len(moments), len(channel_list)))
        for c, channel in enumerate(channel_list):
            rates = np.array([profiles[pid, channel.id][0] for pid in partner_ids])
            score[:, :, c] = np.take_along_axis(rates, slots, axis=1)
        # Ask the pairs in the order most partners prefer them: the first allowed answer then prunes the rest.
        order = sorted(
            ((m, c) for m in range(len(moments)) for c in range(len(channel_list))),
            key=lambda mc: (-score[:, mc[0], mc[1]].mean(), mc[0], mc[1]),
        )
        best_score = np.full(len(partner_ids), -1.0)
        best_rank = np.full(len(partner_ids), len(moments) * len(channel_list))
        best_pair = {}
        Partner = partners.browse(partner_ids).with_prefetch(partner_ids)
        for m, c in order:
            rank = m * len(channel_list) + c
            column = score[:, m, c]
            # Could this pair still beat each partner's best allowed one?
            better = (column > best_score) | ((column == best_score) & (rank < best_rank))
            asked = np.flatnonzero(better)
            if not len(asked):
                continue
            subset = Partner.browse([partner_ids[i] for i in asked])
            decisions = subset._affinity_contact_decision(
                channel_list[c], purpose, when=moments[m], check_pressure=check_pressure
            )
            for i in asked:
                if decisions[partner_ids[i]].allowed:
                    best_score[i], best_rank[i] = column[i], rank
                    best_pair[partner_ids[i]] = (m, c)
        return {
            pid: self._best_moment(
                pid, moments[m], channel_list[c], profiles[pid, channel_list[c].id], zones[pid]
            )
            for pid, (m, c) in best_pair.items()
        }

    @api.model
    def _best_moment(self, partner_id, when, channel, profile, tz):
        """The BestMoment of one partner's chosen moment and channel, with the reason a person reads."""
        rates, _n, _k, learned = profile
        slot = local_slot(when, tz)
        observations, responses, reason = self._slot_counts_reason(channel, slot, profile)
        return BestMoment(
            when, channel.id, float(rates[slot]), observations, responses, bool(learned), reason
        )

    @api.model
    def _slot_counts_reason(self, channel, slot, profile):
        """(observations, responses, reason) of one slot of the week in a learned profile."""
        rates, n, k, learned = profile
        days, hour_from, hour_to = best_block(rates, n, slot)
        block = [d * 24 + h for d in days for h in range(hour_from, hour_to)]
        observations, responses = round(float(n[block].sum())), round(float(k[block].sum()))
        seen = n[slot] > 0
        reason = self._reason(channel, learned, seen, days, hour_from, hour_to, observations, responses, n, k)
        return observations, responses, reason

    @api.model
    def _slot_reason(self, channel, slot, profile):
        """The sentence for one slot of the week in a learned profile."""
        return self._slot_counts_reason(channel, slot, profile)[2]

    @api.model
    def _window_masks(self, partners, channel):
        """{partner_id: bool[168]}: the hours of the week inside each partner's contact windows for
        ``channel`` (their own, else their company's; none: every hour), in their time zone."""
        own = self.env["affinity.contact.decision"]._windows_by_partner(partners.ids, channel)
        company_windows, masks = {}, {}
        for partner in partners:
            company = partner.company_id or self.env.company
            if company.id not in company_windows:
                company_windows[company.id] = company._affinity_default_windows(channel)
            windows = own.get(partner.id) or company_windows[company.id]
            mask = np.zeros(SLOTS, dtype=bool) if windows else np.ones(SLOTS, dtype=bool)
            for day, start, end in windows or ():
                for hour in range(24):
                    if start < hour + 1 and end > hour:
                        mask[day * 24 + hour] = True
            masks[partner.id] = mask
        return masks

    @api.model
    def _reason(self, channel, learned, seen, days, hour_from, hour_to, observations, responses, n, k):
        """The sentence a salesperson reads: what was learned, from how much, or that nothing was."""
        if not learned:
            return self.env._(
                "No answers yet: the company's usual hours for %(channel)s.", channel=channel.name
            )
        half_life = self.env.company.affinity_reach_half_life or DEFAULT_HALF_LIFE
        when = f"{self._days_label(days)} {hour_from:02d}–{hour_to:02d}"
        if seen:
            return self.env._(
                "Best reached %(when)s by %(channel)s — %(answers)s answers of %(contacts)s contacts in that "
                "slot (recency-weighted, half-life %(days)s days).",
                when=when,
                channel=channel.name,
                answers=responses,
                contacts=observations,
                days=half_life,
            )
        return self.env._(
            "Best allowed moment %(when)s by %(channel)s, from the pattern of similar customers: none of this "
            "person's %(contacts)s contacts by %(channel)s fell in these hours (%(answers)s answers in all).",
            when=when,
            channel=channel.name,
            contacts=round(float(n.sum())),
            answers=round(float(k.sum())),
        )

    @api.model
    def _day_names(self):
        env = self.env
        return [
            env._("Mon"),
            env._("Tue"),
            env._("Wed"),
            env._("Thu"),
            env._("Fri"),
            env._("Sat"),
            env._("Sun"),
        ]

    @api.model
    def _days_label(self, days):
        """Weekdays as a person writes them: a run as 'Tue–Thu', else a list."""
        names = self._day_names()
        if len(days) > 1 and days == list(range(days[0], days[-1] + 1)):
            return f"{names[days[0]]}–{names[days[-1]]}"
        return ", ".join(names[d] for d in days)

    @api.model
    def _propensity_now(self, partners, channel, when):
        """{partner_id: (propensity, observations, responses, learned)}: each partner's chance of answering
        over ``channel`` in the hour of ``when`` (naive UTC), with their own counts in that hour of the week
        (recency-weighted, rounded). It ranks; it does not permit: the caller asks the decision."""
        if not partners:
            return {}
        zones, profiles = self._profiles(partners, channel, when)
        result = {}
        for partner_id, tz in zones.items():
            rates, n, k, learned = profiles[partner_id, channel.id]
            slot = local_slot(when, tz)
            result[partner_id] = (
                float(rates[slot]),
                round(float(n[slot])),
                round(float(k[slot])),
                bool(learned),
            )
        return result
