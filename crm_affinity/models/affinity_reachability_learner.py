"""The nightly learning of reachability: fold the evidence Odoo recorded since the last run, in SQL.

Evidence, each read in the person's time zone at the moment it happened (a person who moves keeps the hours
they answered in where they were; new evidence lands in the new zone's hours):

- mass-mailing traces to partners, e-mail and SMS: a trace that went out is a contact in the hour it was
  sent; its first answer (opened, clicked, replied) is a prompt answer there if it came within
  ``PROMPT_HOURS``, else a later answer in the hour it came (the hour the person reads);
- messages the partner wrote in (e-mail or portal comment, never an internal user's): a later answer by
  e-mail in the hour it came (it shows when the person is about), unless it is the reply a mailing trace
  already counts (its ``reply_datetime`` stamped while the message was written);
- follow-ups a person carried out over another channel (a call, a visit) with their outcome: a contact,
  answered unless *No answer*; follow-ups sent as an e-mail or SMS: a contact;
- activities marked done whose type reaches the customer by a channel (a call made, a meeting held), on the
  partner, their opportunity or their sale order: a contact answered, unless a follow-up done over that channel
  within five minutes already said how it went.

Nothing of the information file (profile, preferences, gifts, dates) is read.
"""

import logging

from odoo import api, fields, models
from odoo.exceptions import AccessError
from odoo.tools import SQL

from ..tools.batching import commit_unless_testing
from ..tools.reachability import LEVEL_MIN_CONTACTS, PROMPT_HOURS, level_strength, pattern_rates
from ..tools.sql import at_least_work_mem, local_settings
from .affinity_reachability import DEFAULT_HALF_LIFE, EPOCH_PARAM
from .mailing_trace import WENT_OUT_STATUSES

_logger = logging.getLogger(__name__)

WATERMARK_PARAM = "crm_affinity.reach_learned_until"
# Weights grow as 2^(days since the epoch / half-life): rebased before they leave a float's range.
REBASE_HALF_LIVES = 400


class AffinityReachabilityLearner(models.Model):
    _inherit = "affinity.reachability"

    @api.model
    def _cron_learn(self):
        """Nightly: fold what happened since the last run."""
        self._learn()

    def action_relearn(self):
        """Forget what was learned and learn again from all the evidence (managers only)."""
        if not self.env.user.has_group("crm_affinity.group_affinity_manager"):
            raise AccessError(self.env._("Only Affinity managers can re-learn reachability."))
        self.sudo()._forget()
        self.sudo()._learn()
        return True

    @api.model
    def _forget(self):
        """Drop every learned count and the watermark: the next run learns from nothing."""
        self.flush_model()
        self.env.execute_query(SQL("TRUNCATE affinity_reachability"))
        params = self.env["ir.config_parameter"].sudo()
        params.set_param(WATERMARK_PARAM, False)
        params.set_param(EPOCH_PARAM, False)
        self.invalidate_model()

    @api.model
    def _learn(self, until=None):
        """Fold the evidence in (watermark, until] and rebuild the segments' and companies' patterns.

        :return: the number of (partner, channel, slot) rows the run touched
        """
        until = until or fields.Datetime.now()
        params = self.env["ir.config_parameter"].sudo()
        since = fields.Datetime.to_datetime(params.get_param(WATERMARK_PARAM) or False)
        epoch = self._epoch()
        if not epoch:
            epoch = until
            params.set_param(EPOCH_PARAM, fields.Datetime.to_string(epoch))
        elif (until - epoch).days > REBASE_HALF_LIVES * self._min_half_life():
            epoch = self._rebase(epoch, until)
        for model in (
            "mailing.trace",
            "mail.message",
            "affinity.followup",
            "res.partner",
            "res.company",
            "crm.lead",
            "sale.order",
        ):
            self.env[model].flush_model()
        self.flush_model()
        # One pass over the events: hashing a night's or three years' groups in memory, no JIT to compile.
        with local_settings(self.env.cr, jit="off", work_mem=at_least_work_mem("128MB")):
            touched = self.env.execute_query(self._fold_query(since, until, epoch))
        params.set_param(WATERMARK_PARAM, fields.Datetime.to_string(until))
        self.invalidate_model()
        self._rebuild_patterns(until)
        commit_unless_testing(self.env)
        _logger.info("Reachability: %s rows folded up to %s", len(touched), until)
        return len(touched)

    @api.model
    def _min_half_life(self):
        rows = self.env.execute_query(SQL("SELECT MIN(affinity_reach_half_life) FROM res_company"))
        return rows[0][0] or DEFAULT_HALF_LIFE

    @api.model
    def _rebase(self, epoch, until):
        """Bring the stored weights to a new epoch, ``until``: one statement."""
        self.env.execute_query(
            SQL(
                """UPDATE affinity_reachability r
                      SET weight_n = r.weight_n * f.factor, weight_k = r.weight_k * f.factor,
                          weight_a = r.weight_a * f.factor
                     FROM (SELECT c.id, power(2::float8, -%(days)s / COALESCE(c.affinity_reach_half_life, %(hl)s))
                                  AS factor FROM res_company c) f
                     JOIN res_partner p ON f.id = COALESCE(p.company_id, %(company)s)
                    WHERE p.id = r.partner_id""",
                days=(until - epoch).total_seconds() / 86400.0,
                hl=DEFAULT_HALF_LIFE,
                company=self.env.company.id,
            )
        )
        self.env["ir.config_parameter"].sudo().set_param(EPOCH_PARAM, fields.Datetime.to_string(until))
        return until

    @api.model
    def _events_query(self, since, until):
        """(partner_id, channel_id, at, contacts, prompt answers, later answers) of the evidence in
        (since, until]."""
        email = self.env.ref("crm_affinity.affinity_channel_email", raise_if_not_found=False)
        sms = self.env.ref("crm_affinity.affinity_channel_sms", raise_if_not_found=False)
        channel = SQL(
            "CASE t.trace_type WHEN 'mail' THEN %s::int WHEN 'sms' THEN %s::int END",
            email.id if email else None,
            sms.id if sms else None,
        )
        return SQL(
            """
            SELECT t.res_id AS partner_id, %(channel)s AS channel_id, t.sent_datetime AS at,
                   1.0::float8 AS dn, 0.0::float8 AS dk, 0.0::float8 AS da
              FROM mailing_trace t
             WHERE t.model = 'res.partner' AND t.trace_status IN %(went_out)s
               AND t.sent_datetime > %(since)s AND t.sent_datetime <= %(until)s
            UNION ALL
            SELECT t.res_id, %(channel)s,
                   CASE WHEN a.at <= t.sent_datetime + %(prompt)s THEN t.sent_datetime ELSE a.at END,
                   0.0, CASE WHEN a.at <= t.sent_datetime + %(prompt)s THEN 1.0 ELSE 0.0 END,
                   CASE WHEN a.at <= t.sent_datetime + %(prompt)s THEN 0.0 ELSE 1.0 END
              FROM mailing_trace t
             CROSS JOIN LATERAL (SELECT LEAST(t.open_datetime, t.reply_datetime, t.links_click_datetime) AS at) a
             WHERE t.model = 'res.partner' AND t.sent_datetime IS NOT NULL
               AND a.at > %(since)s AND a.at <= %(until)s
            UNION ALL
            SELECT m.author_id, %(email)s, m.date, 0.0, 0.0, 1.0
              FROM mail_message m
              LEFT JOIN mail_message_subtype st ON st.id = m.subtype_id
             WHERE m.author_id IS NOT NULL AND m.date > %(since)s AND m.date <= %(until)s
               AND (m.message_type = 'email' OR (m.message_type = 'comment' AND NOT COALESCE(st.internal, FALSE)))
               AND NOT EXISTS (SELECT 1 FROM res_users u WHERE u.partner_id = m.author_id AND NOT u.share)
               -- A reply to a mailing is already its trace's answer: the gateway stamps the trace's
               -- reply_datetime while it writes the message (mass_mailing's _message_route_process).
               AND NOT EXISTS (
                   SELECT 1 FROM mailing_trace t
                    WHERE t.model = 'res.partner' AND t.res_id = m.author_id  -- the budget's partner index
                      AND t.sent_datetime IS NOT NULL AND t.trace_status IN %(went_out)s
                      AND t.reply_datetime BETWEEN m.create_date - %(same_run)s AND m.create_date + %(same_run)s)
            UNION ALL
            SELECT f.partner_id, f.channel_id, f.done_date, 1.0,
                   CASE WHEN f.outcome = 'no_answer' THEN 0.0 ELSE 1.0 END, 0.0
              FROM affinity_followup f
              JOIN affinity_channel ch ON ch.id = f.channel_id
             WHERE f.state = 'done' AND f.outcome IN ('successful', 'unsuccessful', 'no_answer')
               AND ch.code NOT IN ('email', 'sms')
               AND f.done_date > %(since)s AND f.done_date <= %(until)s
            UNION ALL
            SELECT COALESCE(l.partner_id, so.partner_id, CASE WHEN m.model = 'res.partner' THEN m.res_id END),
                   ty.affinity_channel_id, m.date, 1.0, 1.0, 0.0
              FROM mail_message m
              JOIN mail_activity_type ty ON ty.id = m.mail_activity_type_id AND ty.affinity_channel_id IS NOT NULL
              LEFT JOIN crm_lead l ON m.model = 'crm.lead' AND l.id = m.res_id
              LEFT JOIN sale_order so ON m.model = 'sale.order' AND so.id = m.res_id
             WHERE m.model IN ('res.partner', 'crm.lead', 'sale.order')
               AND m.date > %(since)s AND m.date <= %(until)s
               AND NOT EXISTS (
                   SELECT 1 FROM affinity_followup f
                    WHERE f.state = 'done' AND f.channel_id = ty.affinity_channel_id
                      AND f.partner_id = COALESCE(l.partner_id, so.partner_id,
                                                  CASE WHEN m.model = 'res.partner' THEN m.res_id END)
                      AND f.done_date BETWEEN m.date - interval '5 minutes' AND m.date + interval '5 minutes')
            UNION ALL
            SELECT f.partner_id, f.channel_id, m.date, 1.0, 0.0, 0.0
              FROM affinity_followup f
              JOIN affinity_channel ch ON ch.id = f.channel_id AND ch.code IN ('email', 'sms')
              JOIN mail_message m ON m.id = f.message_id
             WHERE f.state IN ('sent', 'done') AND m.date > %(since)s AND m.date <= %(until)s
            """,
            channel=channel,
            email=email.id if email else None,
            went_out=WENT_OUT_STATUSES,
            prompt=SQL("interval %s", f"{PROMPT_HOURS} hours"),
            same_run=SQL("interval '5 minutes'"),
            since=since or "1970-01-01",
            until=until,
        )

    @api.model
    def _fold_query(self, since, until, epoch):
        """Add the weighted evidence of (since, until] to each partner × channel × slot: one statement."""
        return SQL(
            """
            WITH ev AS (%(events)s),
            zones AS MATERIALIZED (SELECT name FROM pg_timezone_names),
            people AS MATERIALIZED (
                SELECT p.id, COALESCE(c.affinity_reach_half_life, %(hl)s) AS half_life,
                       COALESCE(z.name, cz.name, rz.name, 'UTC') AS tz
                  FROM res_partner p
                  JOIN res_company c ON c.id = COALESCE(p.company_id, %(company)s)
                  JOIN res_partner cp ON cp.id = c.partner_id
                  LEFT JOIN resource_calendar rc ON rc.id = c.resource_calendar_id
                  LEFT JOIN zones z ON z.name = NULLIF(p.tz, '')
                  LEFT JOIN zones cz ON cz.name = NULLIF(cp.tz, '')
                  LEFT JOIN zones rz ON rz.name = rc.tz
            ),
            folded AS (
                SELECT ev.partner_id, ev.channel_id,
                       ((EXTRACT(ISODOW FROM l.local)::int - 1) * 24 + EXTRACT(HOUR FROM l.local)::int) AS slot,
                       SUM(ev.dn * l.w) AS n, SUM(ev.dk * l.w) AS k, SUM(ev.da * l.w) AS a,
                       MAX(ev.at) AS last_seen
                  FROM ev
                  JOIN people pe ON pe.id = ev.partner_id
                 CROSS JOIN LATERAL (
                       SELECT (ev.at AT TIME ZONE 'UTC') AT TIME ZONE pe.tz AS local,
                              power(2::float8, EXTRACT(EPOCH FROM ev.at - %(epoch)s) / 86400.0 / pe.half_life) AS w
                 ) l
                 WHERE ev.channel_id IS NOT NULL
                 GROUP BY 1, 2, 3
            )
            INSERT INTO affinity_reachability AS r
                   (partner_id, channel_id, slot, weight_n, weight_k, weight_a, last_seen)
            SELECT partner_id, channel_id, slot, n, k, a, last_seen FROM folded
             ORDER BY partner_id, channel_id, slot  -- the unique index is then written in its own order
            ON CONFLICT (partner_id, channel_id, slot) DO UPDATE
               SET weight_n = r.weight_n + EXCLUDED.weight_n, weight_k = r.weight_k + EXCLUDED.weight_k,
                   weight_a = r.weight_a + EXCLUDED.weight_a,
                   last_seen = GREATEST(r.last_seen, EXCLUDED.last_seen)
            RETURNING r.id
            """,
            events=self._events_query(since, until),
            hl=DEFAULT_HALF_LIFE,
            company=self.env.company.id,
            epoch=epoch,
        )

    @api.model
    def _rebuild_patterns(self, at):
        """Each company's and segment's contacts and answers per channel and slot, decayed to ``at``, and
        their propensity (the report's measure): one statement, then the rates written in one more."""
        pattern = self.env["affinity.reachability.pattern"]
        epoch = self._epoch()
        self.env.execute_query(SQL("DELETE FROM affinity_reachability_pattern"))
        # Summed at the epoch's scale first, brought to ``at`` once per company and slot afterwards.
        self.env.execute_query(
            SQL(
                """
                WITH summed AS (
                    SELECT COALESCE(p.company_id, %(company)s) AS company_id, p.affinity_segment_id AS segment_id,
                           r.channel_id, r.slot, SUM(r.weight_n) AS n, SUM(r.weight_k) AS k, SUM(r.weight_a) AS a
                      FROM affinity_reachability r
                      JOIN res_partner p ON p.id = r.partner_id
                     GROUP BY 1, 2, 3, 4
                ),
                grouped AS (
                    SELECT company_id, segment_id, channel_id, slot, n, k, a FROM summed WHERE segment_id IS NOT NULL
                    UNION ALL
                    SELECT company_id, NULL, channel_id, slot, SUM(n), SUM(k), SUM(a) FROM summed GROUP BY 1, 3, 4
                )
                INSERT INTO affinity_reachability_pattern
                       (company_id, segment_id, channel_id, slot, weekday, hour, contacts, answers, later)
                SELECT g.company_id, g.segment_id, g.channel_id, g.slot, (g.slot / 24)::varchar, mod(g.slot, 24),
                       g.n * f.factor, g.k * f.factor, g.a * f.factor
                  FROM grouped g
                  JOIN (SELECT c.id, power(2::float8, -%(days)s / COALESCE(c.affinity_reach_half_life, %(hl)s))
                               AS factor FROM res_company c) f ON f.id = g.company_id
                """,
                company=self.env.company.id,
                days=(at - epoch).total_seconds() / 86400.0,
                hl=DEFAULT_HALF_LIFE,
            )
        )
        self._fit_level_strengths(at)
        rows = self.env.execute_query(
            SQL(
                "SELECT id, company_id, COALESCE(segment_id, 0), channel_id, slot FROM affinity_reachability_pattern"
            )
        )
        keys = {(company_id, segment_id) for _id, company_id, segment_id, _c, _s in rows}
        channel_ids = {channel_id for _id, _co, _seg, channel_id, _s in rows}
        patterns = self._patterns(keys, channel_ids)
        rates = {key: pattern_rates(value) for key, value in patterns.items()}
        updates = [
            (row_id, float(rates[company_id, segment_id, channel_id][slot]) * 100.0)
            for row_id, company_id, segment_id, channel_id, slot in rows
        ]
        if updates:
            self.env.execute_query(
                SQL(
                    """UPDATE affinity_reachability_pattern p SET rate = v.rate
                         FROM unnest(%s::int[], %s::float8[]) AS v(id, rate) WHERE p.id = v.id""",
                    [u[0] for u in updates],
                    [u[1] for u in updates],
                )
            )
        pattern.invalidate_model()

    @api.model
    def _fit_level_strengths(self, at):
        """Each company's level prior strength per channel, fitted by moments on its people's totals decayed
        to ``at`` (``tools.reachability.level_strength``), written on the company's pattern rows."""
        epoch = self._epoch()
        moments = self.env.execute_query(
            SQL(
                """
                WITH f AS (
                    SELECT c.id, power(2::float8, -%(days)s / COALESCE(c.affinity_reach_half_life, %(hl)s)) AS factor
                      FROM res_company c
                ),
                person AS (
                    SELECT COALESCE(p.company_id, %(company)s) AS company_id, r.channel_id,
                           SUM(r.weight_n) AS n, SUM(r.weight_k + COALESCE(r.weight_a, 0)) AS answers
                      FROM affinity_reachability r
                      JOIN res_partner p ON p.id = r.partner_id
                     GROUP BY r.partner_id, 1, 2
                )
                SELECT pe.company_id, pe.channel_id, COUNT(*), SUM(LEAST(pe.answers / pe.n, 1.0)),
                       SUM(LEAST(pe.answers / pe.n, 1.0) ^ 2), SUM(1.0 / (pe.n * f.factor))
                  FROM person pe
                  JOIN f ON f.id = pe.company_id
                 WHERE pe.n * f.factor >= %(min_contacts)s
                 GROUP BY 1, 2
                """,
                company=self.env.company.id,
                days=(at - epoch).total_seconds() / 86400.0,
                hl=DEFAULT_HALF_LIFE,
                min_contacts=LEVEL_MIN_CONTACTS,
            )
        )
        for company_id, channel_id, people, sum_rate, sum_rate_sq, sum_inverse in moments:
            self.env.execute_query(
                SQL(
                    """UPDATE affinity_reachability_pattern SET level_strength = %s
                        WHERE company_id = %s AND channel_id = %s AND segment_id IS NULL""",
                    level_strength(people, sum_rate, sum_rate_sq, sum_inverse),
                    company_id,
                    channel_id,
                )
            )
