"""Contact pressure: how many commercial messages reached each person lately, against their budget.

What counts is read set-based from what Odoo and this addon already keep — mass-mailing traces that went
out (to the partner itself, or to its address from another model), and follow-ups of a commercial purpose
that were sent or handed to a person — so no bookkeeping of our own can drift. The budget is a company's
(Settings), an RFM segment's or a partner's own, per rolling 24 hours, 7 days and 30 days; 0 means none.
The decision (``affinity.contact.decision``) asks ``_over_budget`` for the partners it would let through.
"""

import datetime
from collections import namedtuple

from odoo import api, models
from odoo.tools import SQL

from ..tools.dates import calendar_days_off
from ..tools.sql import IdSet, at_least_work_mem, local_settings
from .mailing_trace import WENT_OUT_STATUSES

# What a count reads besides the moments: the SQL test leaving out mailings that do not count, and whether
# any message is held for a best hour now (``_counted_mailings``).
Counting = namedtuple("Counting", "test held")

WINDOWS = (("day", 1), ("week", 7), ("month", 30))
# The longest window: every count reads the contacts of this many days back.
MONTH_DAYS = WINDOWS[-1][1]


def window_end(moment, days):
    """``moment`` plus a window of ``days``, in hours: a naive timestamp plus days goes through the calendar,
    plus hours is one addition (the same moment, ~10 ms sooner for 100 000 partners)."""
    return SQL("%s + interval '%s hours'", moment, SQL(str(days * 24)))


def cap_columns(when, days, cap):
    """Whether a partner's contacts in the window reach ``cap``, and when the cap-th most recent leaves it."""
    start = when - datetime.timedelta(days=days)
    latest = SQL("(array_agg(c.at ORDER BY c.at DESC) FILTER (WHERE c.at > %s))[%s]", start, cap)
    return SQL("count(*) FILTER (WHERE c.at > %s) >= %s, %s", start, cap, window_end(latest, days))


def followup_contacts_query():
    """(partner_id, at, kind) of the follow-ups of a commercial purpose that reached their person.

    A message the follow-up sent (e-mail, SMS) counts at the moment it went out, its message's date, whatever
    is recorded on the follow-up afterwards (an outcome, a note); a task handed to a person counts when it
    was done. The budget and the contacts report read the same rows."""
    return SQL(
        """
        SELECT f.partner_id,
               CASE WHEN f.message_id IS NOT NULL AND ch.code IN ('email', 'sms')
                    THEN COALESCE(m.date, f.done_date, f.write_date)
                    ELSE COALESCE(f.done_date, f.write_date) END AS at,
               COALESCE(ch.code, 'followup') AS kind
          FROM affinity_followup f
          JOIN affinity_followup_rule r ON r.id = f.rule_id
          JOIN affinity_purpose pu ON pu.id = r.purpose_id AND pu.pressure
          LEFT JOIN affinity_channel ch ON ch.id = f.channel_id
          LEFT JOIN mail_message m ON m.id = f.message_id
         WHERE f.state = 'done' OR (f.state = 'sent' AND ch.code IN ('email', 'sms'))
        """
    )


class AffinityContactPressure(models.AbstractModel):
    _name = "affinity.contact.pressure"
    _description = "Affinity Contact Pressure"

    @api.model
    def _partner_traces_query(self, since, until, counted=None):
        """(partner_id, moment, kind) of the mass-mailing traces that went out to partners themselves.

        Read from an index in partner order (``PRESSURE_INDEXES``): a count per partner then needs no hashing.
        """
        return SQL(
            """
            SELECT t.res_id AS partner_id, t.sent_datetime AS at, t.trace_type AS kind
              FROM mailing_trace t
             WHERE t.model = 'res.partner' AND t.sent_datetime IS NOT NULL
               AND t.trace_status IN %(went_out)s AND t.sent_datetime > %(since)s
               AND t.sent_datetime <= %(until)s %(counted)s
            """,
            since=since,
            until=until,
            went_out=WENT_OUT_STATUSES,
            counted=(self._counted_mailings() if counted is None else counted).test,
        )

    @api.model
    def _counted_mailings(self):
        """What the counts read, in one statement: the test that leaves out the traces of mailings whose
        purpose does not count against the budget (a service mailing; none when there is no such mailing, as
        is usual), and whether any message is held for a best hour (else its branches are left out: each
        branch a statement holds costs the planner the partners' id list once more, ~7 ms for 10 000)."""
        self.env["mailing.mailing"].flush_model(["affinity_purpose_id"])
        self.env["mailing.trace"].flush_model(["trace_status", "affinity_send_after"])
        [(uncounted, held)] = self.env.execute_query(
            SQL(
                """SELECT ARRAY(SELECT m.id FROM mailing_mailing m
                                  JOIN affinity_purpose pu ON pu.id = m.affinity_purpose_id
                                 WHERE NOT COALESCE(pu.pressure, FALSE)),
                          EXISTS(SELECT 1 FROM mailing_trace t
                                  WHERE t.trace_status = 'outgoing' AND t.affinity_send_after IS NOT NULL)"""
            )
        )
        test = (
            SQL("AND (t.mass_mailing_id IS NULL OR t.mass_mailing_id != ALL(%s))", uncounted)
            if uncounted
            else SQL()
        )
        return Counting(test, held)

    @api.model
    def _other_contacts_query(self, since, until, counted=None, releasing=()):
        """(partner_id, moment, kind) of the other commercial contacts: traces of mailings to another model's
        records at a partner's address, this addon's follow-ups, and the messages held for a best hour.

        A held message (outgoing, with a moment it waits for) reserves its place in the budget at that
        moment, whether to a partner or to another model's record at a partner's address; ``releasing``:
        the ids of held traces being decided now, which must not count against themselves."""
        counted = self._counted_mailings() if counted is None else counted
        # One branch for the held messages, to partners and to other records at a partner's address: the
        # partner is an expression, whose test against the partners' id list the planner does not weigh
        # against the column's statistics (a column would cost ~10 ms more for 10 000 partners).
        held = SQL(
            """
            UNION ALL
            SELECT CASE WHEN t.model = 'res.partner' THEN t.res_id ELSE p.id END,
                   t.affinity_send_after, t.trace_type
              FROM mailing_trace t
              LEFT JOIN res_partner p ON t.model != 'res.partner' AND t.trace_type = 'mail'
                                     AND p.email_normalized = t.email
             WHERE (t.model = 'res.partner' OR p.id IS NOT NULL) AND %(held)s
            """,
            held=SQL(
                """t.trace_status = 'outgoing' AND t.affinity_send_after IS NOT NULL
                   AND t.affinity_send_after > %(since)s AND t.affinity_send_after <= %(until)s %(counted)s
                   %(releasing)s""",
                since=since,
                until=until,
                counted=counted.test,
                releasing=SQL("AND t.id != ALL(%s)", list(releasing)) if releasing else SQL(),
            ),
        )
        return SQL(
            """
            SELECT p.id AS partner_id, t.sent_datetime AS at, t.trace_type AS kind
              FROM mailing_trace t
              JOIN res_partner p ON p.email_normalized = t.email
             WHERE t.model != 'res.partner' AND t.trace_type = 'mail'
               AND t.trace_status IN %(went_out)s AND t.sent_datetime > %(since)s
               AND t.sent_datetime <= %(until)s %(counted)s
            UNION ALL
            SELECT f.partner_id, f.at, f.kind FROM (%(followups)s) f
             WHERE f.at > %(since)s AND f.at <= %(until)s
            %(held)s
            """,
            since=since,
            until=until,
            went_out=WENT_OUT_STATUSES,
            followups=followup_contacts_query(),
            counted=counted.test,
            held=held if counted.held else SQL(),
        )

    @api.model
    def _contacts_query(self, partner_ids, since, until, releasing=()):
        """(partner_id, moment, kind) of every commercial contact of these partners between two moments."""
        counted = self._counted_mailings()
        return SQL(
            """
            SELECT c.partner_id, c.at, c.kind FROM (%(partner_traces)s UNION ALL %(others)s) c
            -- Said once for every kind: PostgreSQL pushes the test down into each of them, and parses the
            -- id array once instead of three times (~6 ms each for 100 000 ids).
            WHERE %(mine)s
            """,
            partner_traces=self._partner_traces_query(since, until, counted),
            others=self._other_contacts_query(since, until, counted, releasing),
            mine=IdSet(partner_ids).contains(SQL("c.partner_id")),
        )

    @api.model
    def _flush(self):
        for model in (
            "mailing.trace",
            "mail.message",
            "affinity.followup",
            "res.partner",
            "affinity.rfm.segment",
            "res.company",
        ):
            self.env[model].flush_model()

    @api.model
    def _over_budget(self, partner_ids_by_caps, when, releasing=()):
        """(partner ids, the moment each one's budget frees up) for the partners at or over their budget now.

        :param partner_ids_by_caps: {(cap per day, per week, per month): partner ids}, 0 for no cap
        :param releasing: ids of held traces being decided now (left out of the counts)
        """
        if not partner_ids_by_caps:
            return [], []
        self._flush()
        groups = list(partner_ids_by_caps.values())
        mine = IdSet(groups[0] if len(groups) == 1 else [partner_id for ids in groups for partner_id in ids])
        since = when - datetime.timedelta(days=MONTH_DAYS)
        mailings = self._counted_mailings()
        # Per window, how many contacts and the oldest of them. A person at a cap of n with n contacts in the
        # window is free again when the oldest leaves it; the caps are constants of the statement, one branch
        # per distinct budget (most partners share their company's).
        counted = SQL(", ").join(
            SQL(
                "count(*) FILTER (WHERE c.at > %(start)s) AS n_%(name)s, min(c.at) FILTER (WHERE c.at > %(start)s) AS o_%(name)s",
                name=SQL(name),
                start=when - datetime.timedelta(days=days),
            )
            if days < MONTH_DAYS
            # The contacts read are the month's: its window needs no filter.
            else SQL("count(*) AS n_%(name)s, min(c.at) AS o_%(name)s", name=SQL(name))
            for name, days in WINDOWS
        )
        budgets = list(partner_ids_by_caps)
        branches = []
        for budget, (caps, ids) in enumerate(partner_ids_by_caps.items()):
            windows = [(name, days, cap) for (name, days), cap in zip(WINDOWS, caps, strict=True) if cap]
            branches.append(
                SQL(
                    """SELECT n.partner_id, GREATEST(%(frees)s) AS frees, (%(crowded)s) AS crowded,
                              %(budget)s AS budget
                         FROM counted n WHERE (%(over)s) %(mine)s""",
                    budget=budget,
                    frees=SQL(", ").join(
                        SQL(
                            "CASE WHEN n.n_%(name)s = %(cap)s THEN %(end)s END",
                            name=SQL(name),
                            cap=cap,
                            end=window_end(SQL("n.o_%s", SQL(name)), days),
                        )
                        for name, days, cap in windows
                    ),
                    crowded=SQL(" OR ").join(
                        SQL("n.n_%s > %s", SQL(name), cap) for name, _days, cap in windows
                    ),
                    over=SQL(" OR ").join(
                        SQL("n.n_%s >= %s", SQL(name), cap) for name, _days, cap in windows
                    ),
                    mine=SQL("AND %s", IdSet(ids).contains(SQL("n.partner_id")))
                    if len(partner_ids_by_caps) > 1
                    else SQL(),
                )
            )
        # Traces to partners are most of what there is to count. For a mass mailing's partners, vacuumed, they
        # are read from their index in partner order, and the few other contacts are sorted and merged in:
        # each partner is counted as its contacts come, with no hash table. The branch says ORDER BY because
        # PostgreSQL plans a filtered branch of a union on its own, blind to the order wanted above. Freshly
        # written traces are sorted in memory instead, faster than hashing them. Hashing is off there:
        # blind to how many partners the id array holds, the planner would hash even the ordered traces. A
        # smaller set is looked up in the index, in no order, and hashed in memory (sorting is off, else it
        # spills to disk). Parallel workers would only spill and merge again.
        with local_settings(
            self.env.cr,
            work_mem=at_least_work_mem("32MB"),
            **({"enable_hashagg": "off"} if mine.large else {"enable_sort": "off"}),
            max_parallel_workers_per_gather="0",
        ):
            rows = self.env.execute_query(
                SQL(
                    """
                    WITH counted AS (
                        SELECT c.partner_id, %(counted)s
                          FROM ((SELECT p.partner_id, p.at FROM (%(partner_traces)s) p %(in_order)s)
                                UNION ALL SELECT o.partner_id, o.at FROM (%(others)s) o) c
                         WHERE %(mine)s GROUP BY c.partner_id
                    )
                    SELECT array_agg(partner_id) FILTER (WHERE NOT crowded),
                           array_agg(ceil(date_part('epoch', frees - %(when)s))::int4) FILTER (WHERE NOT crowded),
                           array_agg(partner_id) FILTER (WHERE crowded), array_agg(budget) FILTER (WHERE crowded)
                      FROM (%(branches)s) x
                    """,
                    when=when,
                    partner_traces=self._partner_traces_query(since, when, mailings),
                    others=self._other_contacts_query(since, when, mailings, releasing),
                    mine=mine.contains(SQL("c.partner_id")),
                    in_order=SQL("ORDER BY p.partner_id") if mine.large else SQL(),
                    counted=counted,
                    branches=SQL(" UNION ALL ").join(branches),
                )
            )
        [(held_ids, offsets, crowded_ids, crowded_budgets)] = rows
        # Each partner comes with the whole seconds after ``when`` it waits (Odoo's datetimes are whole
        # seconds): one small integer each, sent and read faster than a timestamp, and no sort to group
        # the partners by moment. Few distinct moments stand behind many partners: each is built once.
        moment_of = {offset: when + datetime.timedelta(seconds=offset) for offset in set(offsets or ())}
        held_ids, frees_at = held_ids or [], list(map(moment_of.__getitem__, offsets or ()))
        # Over a cap (a priority mailing, a budget lowered): the cap-th most recent contact decides. Rare,
        # so these few partners' moments are read and picked here.
        caps_of = {
            partner_id: budgets[budget]
            for partner_id, budget in zip(crowded_ids or (), crowded_budgets or (), strict=True)
        }
        if caps_of:
            moments = self.env.execute_query(
                SQL(
                    "SELECT c.partner_id, array_agg(c.at ORDER BY c.at DESC) FROM (%s) c GROUP BY c.partner_id",
                    self._contacts_query(list(caps_of), since, when, releasing),
                )
            )
            for partner_id, ats in moments:
                frees = [
                    ats[cap - 1] + datetime.timedelta(days=days)
                    for (_name, days), cap in zip(WINDOWS, caps_of[partner_id], strict=True)
                    if cap and len(ats) >= cap and ats[cap - 1] > when - datetime.timedelta(days=days)
                ]
                held_ids.append(partner_id)
                frees_at.append(max(frees))
        return held_ids, frees_at

    @api.model
    def _over_channel_cap(self, partner_ids_by_company, channel, caps, when, releasing=()):
        """{partner_id: frees_at} for the partners at a cap of this very channel."""
        kinds = {"email": ["mail", "email"], "sms": ["sms"]}.get(channel.code, [channel.code])
        result = {}
        self._flush()
        for company_id, partner_ids in partner_ids_by_company.items():
            windows = caps.get(company_id)
            if not windows or not partner_ids:
                continue
            columns = SQL(", ").join(
                cap_columns(when, days, windows[name]) for name, days in WINDOWS if name in windows
            )
            rows = self.env.execute_query(
                SQL(
                    "SELECT c.partner_id, %(columns)s FROM (%(contacts)s) c WHERE c.kind = ANY(%(kinds)s) GROUP BY c.partner_id",
                    columns=columns,
                    contacts=self._contacts_query(
                        partner_ids, when - datetime.timedelta(days=MONTH_DAYS), when, releasing
                    ),
                    kinds=kinds,
                )
            )
            for row in rows:
                frees = [row[i + 1] for i in range(1, len(row), 2) if row[i]]
                if frees:
                    result[row[0]] = max(frees)
        return result

    @api.model
    def _quiet_facts(self):
        """In one statement: every company's public holidays (as ``res.company._affinity_public_holidays``
        reads them), budget (per day, week, month) and time zone (its calendar's, where its days are read),
        and the RFM segments that carry a budget of their own."""
        self.env["res.company"].flush_model()
        self.env["res.partner"].flush_model(["country_id"])
        for model in ("resource.calendar", "resource.calendar.attendance", "resource.calendar.leaves"):
            self.env[model].flush_model()
        self.env["affinity.rfm.segment"].flush_model()
        [(companies, segments)] = self.env.execute_query(
            SQL(
                """
                SELECT (SELECT json_object_agg(c.id, json_build_object(
                            'caps', json_build_array(COALESCE(c.affinity_pressure_day, 0),
                                                     COALESCE(c.affinity_pressure_week, 0),
                                                     COALESCE(c.affinity_pressure_month, 0)),
                            -- its public holidays: its country, its calendar's hours and time off
                            'country', (SELECT k.code FROM res_partner p JOIN res_country k ON k.id = p.country_id
                                         WHERE p.id = c.partner_id),
                            'tz', (SELECT r.tz FROM resource_calendar r WHERE r.id = c.resource_calendar_id),
                            'hours', (SELECT COALESCE(json_agg(json_build_array(a.dayofweek::int, a.hour_from,
                                                                                a.hour_to)), '[]')
                                        FROM resource_calendar_attendance a
                                       WHERE a.calendar_id = c.resource_calendar_id AND a.display_type IS NULL
                                         AND a.day_period IS DISTINCT FROM 'lunch'),
                            'leaves', (SELECT COALESCE(json_agg(json_build_array(l.date_from, l.date_to)), '[]')
                                         FROM resource_calendar_leaves l
                                        WHERE l.resource_id IS NULL AND l.time_type = 'leave'
                                          AND (l.calendar_id = c.resource_calendar_id
                                               OR l.calendar_id IS NULL AND l.company_id = c.id))))
                          FROM res_company c),
                       (SELECT json_object_agg(s.id, json_build_array(COALESCE(s.pressure_day, 0),
                                                                      COALESCE(s.pressure_week, 0),
                                                                      COALESCE(s.pressure_month, 0)))
                          FROM affinity_rfm_segment s
                         WHERE s.pressure_day > 0 OR s.pressure_week > 0 OR s.pressure_month > 0)
                """
            )
        )
        facts = {
            int(company_id): (
                calendar_days_off(
                    [tuple(map(datetime.datetime.fromisoformat, span)) for span in values["leaves"]],
                    values["tz"],
                    values["hours"],
                    values["country"],
                ),
                tuple(values["caps"]),
                values["tz"],
            )
            for company_id, values in (companies or {}).items()
        }
        return facts, {int(segment_id): tuple(caps) for segment_id, caps in (segments or {}).items()}

    @api.model
    def _counts(self, partners, when):
        """{partner_id: {window: {kind: count}}}: what the partner form shows against the budget."""
        if not partners:
            return {}
        self._flush()
        rows = self.env.execute_query(
            SQL(
                """SELECT c.partner_id, c.kind,
                          count(*) FILTER (WHERE c.at > %(week)s), count(*) FILTER (WHERE c.at > %(month)s)
                     FROM (%(contacts)s) c GROUP BY c.partner_id, c.kind""",
                week=when - datetime.timedelta(days=7),
                month=when - datetime.timedelta(days=MONTH_DAYS),
                contacts=self._contacts_query(partners.ids, when - datetime.timedelta(days=MONTH_DAYS), when),
            )
        )
        counts = {}
        for partner_id, kind, week, month in rows:
            counts.setdefault(partner_id, {"week": {}, "month": {}})
            counts[partner_id]["week"][kind] = week
            counts[partner_id]["month"][kind] = month
        return counts
