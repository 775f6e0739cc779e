"""Customer value: RFM, lifetime value, cost to serve, margin and review flags, all set-based.

Every figure comes from one statement that fills a work table; partners and flags are then written
from it in batches, only where a value changed, so a second run on the same day writes nothing.

Definitions (amounts in company currency, windows counted back from the computation day):

* purchases: confirmed sale orders, plus posted customer invoices that no sale order produced
  (no origin document, no linked order line); refunds lower revenue but are not purchases;
* recency: days since the last purchase; frequency: number of purchases; monetary: revenue of all
  purchases (untaxed); each scored 1-5 against the company's other customers with
  ``1 + floor(5 * (rank - 1) / customers)``, ties sharing the lower rank, 5 the best;
* revenue, product cost (quantity x product cost), discounts (list price minus sold price, plus
  negative promotion lines) over the value window (``affinity_value_months``, 12 by default);
* service cost: done activities x their type's unit cost + complaints x the complaint cost;
  cost to serve = service cost + discounts;
* margin = revenue - product cost - service cost (the discounts are already missing from revenue);
* lifetime value = (gross margin of all purchases / years since the first purchase, at least one
  year - service cost of the window scaled to a year) x expected lifetime in years.
"""

import json

from odoo import api, fields, models
from odoo.exceptions import AccessError
from odoo.tools import SQL

from ..tools.batching import is_testing
from ..tools.groups import AFFINITY_MANAGER
from ..tools.sql import at_least_work_mem, local_settings

WORK_TABLE = "affinity_value_work"
# (partner column, work-table expression); compared and written as one row.
PARTNER_COLUMNS = (
    ("affinity_rfm_recency", "w.recency"),
    ("affinity_rfm_frequency", "w.frequency"),
    ("affinity_rfm_monetary", "w.monetary"),
    ("affinity_rfm_r", "w.r_score"),
    ("affinity_rfm_f", "w.f_score"),
    ("affinity_rfm_m", "w.m_score"),
    ("affinity_rfm_score", "w.rfm_score"),
    ("affinity_segment_id", "w.segment_id"),
    ("affinity_revenue_12m", "w.revenue_w"),
    ("affinity_product_cost_12m", "w.cost_w"),
    ("affinity_discount_12m", "w.discount_w"),
    ("affinity_service_cost_12m", "w.service_cost"),
    ("affinity_cost_to_serve", "w.cost_to_serve"),
    ("affinity_margin_12m", "w.margin"),
    ("affinity_ltv", "w.ltv"),
    ("affinity_value_rank", "w.value_rank"),
    ("affinity_margin_rank", "w.margin_rank"),
    ("affinity_complaint_count", "w.complaints_recent"),
    ("affinity_late_share", "w.late_share"),
    ("affinity_days_late", "w.days_late"),
    ("affinity_discount_share", "w.discount_share"),
    ("affinity_vip", "w.flag_vip"),
)


# Each automatic review-flag kind: the work-table condition that raises it, then its two measures.
# The nightly run raises and clears exactly these kinds; fraud is a person's judgement only.
FLAG_RULES = {
    "serial_complainer": ("w.flag_complainer", "w.complaints_recent", "0"),
    "late_payer": ("w.flag_late", "w.late_share", "w.days_late"),
    "deal_seeker": ("w.flag_deal", "w.discount_share", "w.orders_w"),
    "unprofitable": ("w.flag_unprofitable", "w.margin", "0"),
    "vip": ("w.flag_vip", "w.ltv", "w.value_rank"),
}
AUTOMATIC_KINDS = tuple(FLAG_RULES)

# The tables whose rows the figures are made of (the run's own writes included). PostgreSQL counts the
# rows inserted, updated and deleted in each; the same counts on the same day as at the end of the last
# run mean nothing the figures depend on has changed since.
SOURCE_TABLES = (
    "sale_order",
    "sale_order_line",
    "sale_order_line_invoice_rel",
    "account_move",
    "account_move_line",
    "affinity_complaint",
    "mail_message",
    "mail_activity_type",
    "res_partner",
    "res_company",
    "affinity_rfm_segment",
    "affinity_review_flag",
    "product_product",
    "crm_lead",
)
SOURCES_PARAM = "crm_affinity.value_sources"


class AffinityCustomerValue(models.AbstractModel):
    """The one place that computes customer value; the cron, the button and the benchmark call it."""

    _name = "affinity.customer.value"
    _description = "Affinity Customer Value Engine"

    @api.model
    def _cron_recompute(self):
        """Nightly RFM, value, cost to serve and review flags for every customer; a second run the same
        day with nothing changed reads PostgreSQL's change counters and stops there."""
        return self.sudo()._recompute(skip_unchanged=True)

    @api.model
    def action_recompute(self):
        """Recompute now what the nightly job would, and say what changed."""
        if not self.env.user.has_group(AFFINITY_MANAGER):
            raise AccessError(self.env._("Only Affinity administrators may recompute customer value."))
        counts = self.sudo()._recompute()
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "title": self.env._("Customer value recomputed"),
                "message": self.env._(
                    "%(customers)s customers valued, %(changed)s changed; %(raised)s flags raised or updated, "
                    "%(archived)s cleared.",
                    customers=counts["customers"],
                    changed=counts["changed"],
                    raised=counts["flags_raised"],
                    archived=counts["flags_archived"],
                ),
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    @api.model
    def _recompute(self, batch_size=20000, skip_unchanged=False):
        """Recompute every customer's value and flags; returns counts of what changed.

        :param skip_unchanged: stop early when no source table changed since the last run of the same
            day (the cron; the button always recomputes, as a person who just changed something expects)
        """
        today = fields.Date.context_today(self)
        self._flush_sources()
        if skip_unchanged:
            last = self._last_sources()
            changes = self._source_changes()
            if changes and last and last["day"] == str(today) and last["changes"] == changes:
                self._mark_computed(today, last["customers"])
                return dict.fromkeys(
                    ("changed", "cleared", "flags_raised", "flags_archived", "review_changed"), 0
                ) | {"customers": last["customers"], "unchanged": True}
        cr = self.env.cr
        cr.execute(SQL("DROP TABLE IF EXISTS %s", SQL.identifier(WORK_TABLE)))
        # Every customer's figures are hashed, sorted and ranked at once: in the default work_mem they spill
        # to disk at every step. JIT compiling the statement would cost more than it saves.
        with local_settings(cr, jit="off", work_mem=at_least_work_mem("128MB")):
            self.env.execute_query(self._work_table_query(today))
        cr.execute(SQL("CREATE UNIQUE INDEX ON %s (partner_id)", SQL.identifier(WORK_TABLE)))
        # The statements below find the table's rows by partner: that column's statistics are all they need
        # (gathering them for every column cost 0.3 s of a 100 000-customer run).
        cr.execute(SQL("ANALYZE %s (partner_id)", SQL.identifier(WORK_TABLE)))
        # The batches' id ranges, cut where the ids are: 100 000 ids need not travel to be counted off.
        batches = self.env.execute_query(
            SQL(
                """SELECT min(partner_id), max(partner_id), count(*)
                     FROM (SELECT partner_id, (row_number() OVER (ORDER BY partner_id) - 1) / %s AS batch
                             FROM affinity_value_work) b
                    GROUP BY batch ORDER BY batch""",
                batch_size,
            )
        )
        customers = sum(count for _first, _last, count in batches)
        # Flags first: the partner rows then get their 'to review' mark in the same write as their value,
        # instead of a second write of thousands of rows (each costing an entry in every index of res_partner).
        raised = self._count_rows(self._flag_upsert_query(today))
        archived = self._count_rows(self._flag_archive_query())
        # Fresh statistics after thousands of flags may have arrived: the review statements below join them.
        cr.execute(SQL("ANALYZE affinity_review_flag"))
        # Partners with nothing left to value are not in the work table: cleared before the batches, so the
        # search for them does not wade through the rows the batches have just written.
        cleared = self._count_rows(self._partner_clear_query())
        cron = self.env["ir.cron"]
        changed = done = 0
        for first_id, last_id, count in batches:
            changed += self._count_rows(self._partner_update_query(today, first_id, last_id))
            done += count
            cron._notify_progress(done=done, remaining=customers - done)
            if not is_testing():
                # Commit per batch: a timeout keeps the customers already written.
                self.env.cr.commit()  # pylint: disable=invalid-commit
        # Valued partners got their mark with their figures; only the others (flags set by hand on someone
        # with nothing to value) are looked at here.
        reviewed = self._count_rows(self._review_state_query(outside_work_table=True))
        cr.execute(SQL("DROP TABLE IF EXISTS %s", SQL.identifier(WORK_TABLE)))
        self._mark_computed(today, customers)
        self.env["res.partner"].invalidate_model(
            [name for name, _expr in PARTNER_COLUMNS] + ["affinity_to_review"]
        )
        self.env["affinity.review.flag"].invalidate_model()
        return {
            "customers": customers,
            "changed": changed,
            "cleared": cleared,
            "flags_raised": raised,
            "flags_archived": archived,
            "review_changed": reviewed,
        }

    @api.model
    def _count_rows(self, query):
        """Run a statement that returns a row per row it wrote, and say how many: counted where they are."""
        return self.env.execute_query(SQL("WITH written AS (%s) SELECT count(*) FROM written", query))[0][0]

    @api.model
    def _source_changes(self):
        """Rows inserted, updated and deleted so far in each source table, committed and in this
        transaction; None when PostgreSQL does not count them (track_counts off): then never skip.

        Another transaction's changes reach the counters when it reports its statistics, within about a
        minute of its commit; one that close to a same-day re-run waits for the next night."""
        [(tracked, changes)] = self.env.execute_query(
            SQL(
                """
                SELECT current_setting('track_counts')::bool,
                       (SELECT json_agg(COALESCE(s.n_tup_ins + s.n_tup_upd + s.n_tup_del, 0)
                                        + COALESCE(x.n_tup_ins + x.n_tup_upd + x.n_tup_del, 0) ORDER BY t.name)
                          FROM unnest(%(tables)s::text[]) t(name)
                          LEFT JOIN pg_stat_user_tables s ON s.relid = to_regclass(t.name)
                          LEFT JOIN pg_stat_xact_user_tables x ON x.relid = to_regclass(t.name))
                """,
                tables=list(SOURCE_TABLES),
            )
        )
        return changes if tracked else None

    @api.model
    def _last_sources(self):
        rows = self.env.execute_query(
            SQL("SELECT value FROM ir_config_parameter WHERE key = %s", SOURCES_PARAM)
        )
        return json.loads(rows[0][0]) if rows else None

    @api.model
    def _mark_computed(self, today, customers):
        """Stamp the companies, then keep the source counts as they stand after this run's own writes."""
        self.env.execute_query(
            SQL("UPDATE res_company SET affinity_value_computed_at = %s", fields.Datetime.now())
        )
        self.env["res.company"].invalidate_model(["affinity_value_computed_at"])
        changes = self._source_changes()
        # Raw, as it is read: set_param would clear every worker's caches for a value only this engine reads.
        self.env.execute_query(
            SQL(
                """INSERT INTO ir_config_parameter (key, value, create_uid, create_date, write_uid, write_date)
                   VALUES (%(key)s, %(value)s, %(uid)s, now() AT TIME ZONE 'UTC', %(uid)s, now() AT TIME ZONE 'UTC')
                   ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, write_date = EXCLUDED.write_date""",
                key=SOURCES_PARAM,
                value=json.dumps({"day": str(today), "changes": changes, "customers": customers}),
                uid=self.env.uid,
            )
        )

    @api.model
    def _flush_sources(self):
        for model in (
            "sale.order",
            "sale.order.line",
            "account.move",
            "account.move.line",
            "affinity.complaint",
            "mail.message",
            "mail.activity.type",
            "res.partner",
            "res.company",
            "affinity.rfm.segment",
            "affinity.review.flag",
            "product.product",
            "crm.lead",
        ):
            self.env[model].flush_model()

    @api.model
    def _work_table_query(self, today):
        """Everything about every customer, in one statement: the scoring SQL of customer value."""
        return SQL(
            """
            CREATE TEMP TABLE affinity_value_work AS
            WITH co AS (
                SELECT id, affinity_ltv_years::numeric AS ltv_years, affinity_complaint_cost::numeric AS complaint_cost,
                       affinity_complaint_threshold AS complaint_threshold,
                       affinity_late_share::numeric AS late_share_min, affinity_late_days::numeric AS late_days_min,
                       affinity_late_min_invoices AS late_min_invoices,
                       affinity_deal_share::numeric AS deal_share_min, affinity_deal_min_orders AS deal_min_orders,
                       affinity_vip_percent::numeric AS vip_percent, affinity_value_months AS months,
                       (%(today)s::date - make_interval(months => affinity_value_months))::date AS since,
                       (%(today)s::date - make_interval(months => affinity_complaint_months))::date
                           AS complaint_since
                  FROM res_company
            ), pc AS (
                SELECT p.id AS partner_id, c.*
                  FROM res_partner p
                  JOIN co c ON c.id = COALESCE(p.company_id, %(company)s)
            ), docs AS (
                SELECT so.partner_id, so.date_order::date AS day, TRUE AS counts,
                       sum(l.price_subtotal) / COALESCE(NULLIF(so.currency_rate, 0), 1) AS revenue,
                       sum(l.product_uom_qty * COALESCE((pp.standard_price ->> so.company_id::text)::numeric, 0))
                           FILTER (WHERE l.price_subtotal >= 0) AS cost,
                       (sum(l.price_unit * l.product_uom_qty * l.discount / 100) - sum(LEAST(l.price_subtotal, 0)))
                           / COALESCE(NULLIF(so.currency_rate, 0), 1) AS discount,
                       CASE WHEN bool_or(l.price_subtotal < 0) THEN sum(l.price_subtotal)
                            ELSE COALESCE(sum(l.price_subtotal) FILTER (WHERE l.discount > 0), 0)
                       END / COALESCE(NULLIF(so.currency_rate, 0), 1) AS discounted
                  FROM sale_order so
                  JOIN sale_order_line l ON l.order_id = so.id AND l.display_type IS NULL
                  LEFT JOIN product_product pp ON pp.id = l.product_id
                 WHERE so.state = 'sale'
                 GROUP BY so.id
                UNION ALL
                SELECT am.partner_id, am.invoice_date, am.move_type = 'out_invoice',
                       am.amount_untaxed_signed,
                       CASE WHEN am.move_type = 'out_refund' THEN -1 ELSE 1 END * COALESCE(sum(
                           aml.quantity * COALESCE((pp.standard_price ->> am.company_id::text)::numeric, 0)), 0),
                       CASE WHEN am.move_type = 'out_refund' THEN -1 ELSE 1 END * COALESCE(sum(
                           aml.price_unit * aml.quantity * aml.discount / 100), 0)
                           / COALESCE(NULLIF(am.invoice_currency_rate, 0), 1),
                       CASE WHEN am.move_type = 'out_refund' THEN -1 ELSE 1 END * COALESCE(sum(
                           aml.price_subtotal) FILTER (WHERE aml.discount > 0), 0)
                           / COALESCE(NULLIF(am.invoice_currency_rate, 0), 1)
                  FROM account_move am
                  LEFT JOIN account_move_line aml ON aml.move_id = am.id AND aml.display_type = 'product'
                  LEFT JOIN product_product pp ON pp.id = aml.product_id
                 WHERE am.state = 'posted' AND am.move_type IN ('out_invoice', 'out_refund')
                   AND COALESCE(am.invoice_origin, '') = ''
                   AND am.invoice_date IS NOT NULL
                   AND NOT EXISTS (
                        SELECT 1 FROM account_move_line x
                          JOIN sale_order_line_invoice_rel r ON r.invoice_line_id = x.id
                         WHERE x.move_id = am.id)
                 GROUP BY am.id
            ), sales AS (
                SELECT d.partner_id,
                       min(d.day) FILTER (WHERE d.counts) AS first_day,
                       max(d.day) FILTER (WHERE d.counts) AS last_day,
                       count(*) FILTER (WHERE d.counts) AS frequency,
                       sum(d.revenue) AS monetary,
                       sum(d.revenue - COALESCE(d.cost, 0)) AS gross_all,
                       COALESCE(sum(d.revenue) FILTER (WHERE d.day > c.since), 0) AS revenue_w,
                       COALESCE(sum(d.cost) FILTER (WHERE d.day > c.since), 0) AS cost_w,
                       COALESCE(sum(d.discount) FILTER (WHERE d.day > c.since), 0) AS discount_w,
                       COALESCE(sum(d.discounted) FILTER (WHERE d.day > c.since), 0) AS discounted_w,
                       count(*) FILTER (WHERE d.counts AND d.day > c.since) AS orders_w
                  FROM docs d
                  JOIN pc c ON c.partner_id = d.partner_id
                 GROUP BY d.partner_id
            ), complaints AS (
                SELECT cp.partner_id,
                       count(*) FILTER (WHERE cp.date::date > c.complaint_since) AS complaints_recent,
                       count(*) FILTER (WHERE cp.date::date > c.since) AS complaints_w
                  FROM affinity_complaint cp
                  JOIN pc c ON c.partner_id = cp.partner_id
                 WHERE cp.date::date > LEAST(c.since, c.complaint_since)
                 GROUP BY cp.partner_id
            ), activities AS (
                SELECT a.partner_id, sum(a.cost) AS activity_cost
                  FROM (
                        SELECT CASE m.model WHEN 'res.partner' THEN m.res_id
                                            WHEN 'crm.lead' THEN l.partner_id
                                            ELSE so.partner_id END AS partner_id,
                               m.date::date AS day, t.affinity_unit_cost::numeric AS cost
                          FROM mail_message m
                          JOIN mail_activity_type t ON t.id = m.mail_activity_type_id AND t.affinity_unit_cost > 0
                          LEFT JOIN crm_lead l ON m.model = 'crm.lead' AND l.id = m.res_id
                          LEFT JOIN sale_order so ON m.model = 'sale.order' AND so.id = m.res_id
                         WHERE m.model IN ('res.partner', 'crm.lead', 'sale.order')
                       ) a
                  JOIN pc c ON c.partner_id = a.partner_id
                 WHERE a.day > c.since
                 GROUP BY a.partner_id
            ), payments AS (
                SELECT am.partner_id, count(*) AS inv_due,
                       count(*) FILTER (WHERE COALESCE(am.affinity_paid_date, %(today)s) > am.invoice_date_due)
                           AS inv_late,
                       COALESCE(sum(COALESCE(am.affinity_paid_date, %(today)s) - am.invoice_date_due) FILTER (
                           WHERE COALESCE(am.affinity_paid_date, %(today)s) > am.invoice_date_due), 0) AS late_days_sum
                  FROM account_move am
                  JOIN pc c ON c.partner_id = am.partner_id
                 WHERE am.state = 'posted' AND am.move_type = 'out_invoice'
                   AND am.invoice_date_due > c.since
                   AND (am.affinity_paid_date IS NOT NULL OR am.invoice_date_due < %(today)s)
                 GROUP BY am.partner_id
            ), valued AS (
                -- Every partner with something to value, its facts side by side: joined, not stacked and
                -- regrouped (a union of the four kinds had to be sorted and grouped again by partner).
                -- Monetary and gross margin stay NULL only as a sum over the sales alone would leave them.
                SELECT c.partner_id, s.first_day, s.last_day, COALESCE(s.frequency, 0)::int AS frequency,
                       CASE WHEN cp.partner_id IS NULL AND a.partner_id IS NULL AND pay.partner_id IS NULL
                            THEN s.monetary ELSE COALESCE(s.monetary, 0) END AS monetary,
                       CASE WHEN cp.partner_id IS NULL AND a.partner_id IS NULL AND pay.partner_id IS NULL
                            THEN s.gross_all ELSE COALESCE(s.gross_all, 0) END AS gross_all,
                       COALESCE(s.revenue_w, 0) AS revenue_w, COALESCE(s.cost_w, 0) AS cost_w,
                       COALESCE(s.discount_w, 0) AS discount_w, COALESCE(s.discounted_w, 0) AS discounted_w,
                       COALESCE(s.orders_w, 0)::int AS orders_w,
                       COALESCE(cp.complaints_recent, 0)::int AS complaints_recent,
                       COALESCE(cp.complaints_w, 0)::int AS complaints_w,
                       COALESCE(a.activity_cost, 0) AS activity_cost, COALESCE(pay.inv_due, 0)::int AS inv_due,
                       COALESCE(pay.inv_late, 0)::int AS inv_late, COALESCE(pay.late_days_sum, 0) AS late_days_sum,
                       c.id AS company_id, c.complaint_threshold, c.late_share_min, c.late_days_min,
                       c.late_min_invoices, c.deal_share_min, c.deal_min_orders, c.vip_percent,
                       COALESCE(s.frequency, 0) > 0 AS is_customer,
                       CASE WHEN s.frequency > 0 THEN %(today)s::date - s.last_day END AS recency,
                       round((COALESCE(a.activity_cost, 0)
                              + COALESCE(cp.complaints_w, 0) * COALESCE(c.complaint_cost, 0))::numeric, 2)
                           AS service_cost,
                       CASE WHEN s.frequency > 0 THEN round((
                           (s.gross_all / GREATEST(1.0, (%(today)s::date - s.first_day) / 365.25))
                           - (COALESCE(a.activity_cost, 0) + COALESCE(cp.complaints_w, 0) * COALESCE(c.complaint_cost, 0))
                             * 12.0 / GREATEST(c.months, 1)
                       ) * COALESCE(c.ltv_years, 0), 2) END AS ltv
                  FROM pc c
                  LEFT JOIN sales s ON s.partner_id = c.partner_id
                  LEFT JOIN complaints cp ON cp.partner_id = c.partner_id
                  LEFT JOIN activities a ON a.partner_id = c.partner_id
                  LEFT JOIN payments pay ON pay.partner_id = c.partner_id
                 WHERE s.partner_id IS NOT NULL OR cp.partner_id IS NOT NULL OR a.partner_id IS NOT NULL
                    OR pay.partner_id IS NOT NULL
            ), ranked AS (
                SELECT v.*,
                       round(v.revenue_w, 2) AS revenue_r, round(v.cost_w, 2) AS cost_r,
                       round(v.discount_w, 2) AS discount_r,
                       round(v.service_cost + v.discount_w, 2) AS cost_to_serve,
                       round(v.revenue_w - v.cost_w - v.service_cost, 2) AS margin,
                       CASE WHEN v.inv_due > 0 THEN round(100.0 * v.inv_late / v.inv_due, 2) ELSE 0 END AS late_share,
                       CASE WHEN v.inv_late > 0 THEN round(v.late_days_sum::numeric / v.inv_late, 2) ELSE 0 END
                           AS days_late,
                       CASE WHEN v.revenue_w > 0 THEN round(100.0 * v.discounted_w / v.revenue_w, 2) ELSE 0 END
                           AS discount_share,
                       rank() OVER (PARTITION BY v.company_id, v.is_customer ORDER BY v.last_day) AS r_rank,
                       rank() OVER (PARTITION BY v.company_id, v.is_customer ORDER BY v.frequency) AS f_rank,
                       rank() OVER (PARTITION BY v.company_id, v.is_customer ORDER BY v.monetary) AS m_rank,
                       count(*) OVER (PARTITION BY v.company_id, v.is_customer) AS customers,
                       rank() OVER (PARTITION BY v.company_id, v.is_customer ORDER BY v.ltv DESC) AS value_rank,
                       rank() OVER (PARTITION BY v.company_id
                                    ORDER BY v.revenue_w - v.cost_w - v.service_cost DESC) AS margin_rank
                  FROM valued v
            ), seg AS (
                -- The first active segment of each of the 125 score triples, so customers join it by hash.
                SELECT DISTINCT ON (r.n, f.n, m.n) r.n AS r, f.n AS f, m.n AS m, g.id
                  FROM generate_series(1, 5) r(n)
                 CROSS JOIN generate_series(1, 5) f(n)
                 CROSS JOIN generate_series(1, 5) m(n)
                  JOIN affinity_rfm_segment g
                    ON g.active AND r.n BETWEEN g.r_min AND g.r_max AND f.n BETWEEN g.f_min AND g.f_max
                   AND m.n BETWEEN g.m_min AND g.m_max
                 ORDER BY r.n, f.n, m.n, g.sequence, g.id
            ), scored AS (
                SELECT r.*,
                       CASE WHEN r.is_customer THEN 1 + floor(5.0 * (r.r_rank - 1) / r.customers)::int END AS r_score,
                       CASE WHEN r.is_customer THEN 1 + floor(5.0 * (r.f_rank - 1) / r.customers)::int END AS f_score,
                       CASE WHEN r.is_customer THEN 1 + floor(5.0 * (r.m_rank - 1) / r.customers)::int END AS m_score
                  FROM ranked r
            )
            SELECT s.partner_id, s.company_id, s.recency, s.frequency, round(s.monetary, 2) AS monetary,
                   s.r_score, s.f_score, s.m_score,
                   CASE WHEN s.is_customer THEN concat(s.r_score, s.f_score, s.m_score) END AS rfm_score,
                   seg.id AS segment_id,
                   s.revenue_r AS revenue_w, s.cost_r AS cost_w, s.discount_r AS discount_w, s.service_cost,
                   s.cost_to_serve, s.margin, s.ltv,
                   CASE WHEN s.is_customer THEN s.value_rank END AS value_rank, s.margin_rank,
                   s.complaints_recent, s.orders_w, s.late_share, s.days_late, s.discount_share,
                   (s.complaint_threshold > 0 AND s.complaints_recent >= s.complaint_threshold) AS flag_complainer,
                   (s.inv_due > 0 AND s.inv_due >= s.late_min_invoices AND s.late_share >= s.late_share_min
                    AND s.days_late >= s.late_days_min) AS flag_late,
                   (s.orders_w > 0 AND s.orders_w >= s.deal_min_orders AND s.revenue_w > 0
                    AND s.discount_share >= s.deal_share_min) AS flag_deal,
                   (s.margin < 0) AS flag_unprofitable,
                   (s.is_customer AND s.ltv > 0 AND s.vip_percent > 0
                    AND s.value_rank <= ceil(s.customers * s.vip_percent / 100.0)) AS flag_vip
              FROM scored s
              LEFT JOIN seg ON s.is_customer AND seg.r = s.r_score AND seg.f = s.f_score AND seg.m = s.m_score
            """,
            today=today,
            company=self.env.company.id,
        )

    @api.model
    def _partner_update_query(self, today, first_id, last_id):
        """Write one id range of the work table onto partners, skipping rows already right."""
        columns = [SQL.identifier(name) for name, _expr in PARTNER_COLUMNS] + [SQL("affinity_to_review")]
        values = [SQL(expr) for _name, expr in PARTNER_COLUMNS] + [
            self._waiting_flag_sql(SQL("w.partner_id"))
        ]
        current = SQL(", ").join(SQL("p.%s", column) for column in columns)
        return SQL(
            """
            UPDATE res_partner p
               SET (%(columns)s, affinity_value_date) = (%(values)s, %(today)s)
              FROM affinity_value_work w
             WHERE w.partner_id = p.id AND w.partner_id BETWEEN %(first)s AND %(last)s
               -- Said of both sides: each batch reads its own range of partners, not the whole table.
               AND p.id BETWEEN %(first)s AND %(last)s
               AND ((%(current)s) IS DISTINCT FROM (%(values)s) OR p.affinity_value_date IS NULL)
            RETURNING p.id
            """,
            columns=SQL(", ").join(columns),
            values=SQL(", ").join(values),
            current=current,
            today=today,
            first=first_id,
            last=last_id,
        )

    @api.model
    def _waiting_flag_sql(self, partner):
        """The one rule for 'to review': an active, non-VIP flag of the partner waits for a decision.

        Uncorrelated, so PostgreSQL hashes the waiting partners once per statement instead of probing the
        flags once per partner row."""
        return SQL(
            """%s IN (SELECT f.partner_id FROM affinity_review_flag f
                       WHERE f.active AND f.state = 'to_review' AND f.kind != 'vip')""",
            partner,
        )

    @api.model
    def _partner_clear_query(self):
        """Partners with nothing left to value (orders cancelled, history erased) lose their figures."""
        resets = SQL(", ").join(
            SQL("%s = %s", SQL.identifier(name), SQL("FALSE") if name == "affinity_vip" else SQL("NULL"))
            for name, _expr in PARTNER_COLUMNS
        )
        return SQL(
            """
            UPDATE res_partner p SET %(resets)s, affinity_value_date = NULL
             WHERE p.affinity_value_date IS NOT NULL
               AND NOT EXISTS (SELECT 1 FROM affinity_value_work w WHERE w.partner_id = p.id)
            RETURNING p.id
            """,
            resets=resets,
        )

    @api.model
    def _flag_sql_kinds(self):
        """FLAG_RULES as SQL: {kind: (condition, measure, second measure)}."""
        return {kind: tuple(SQL(part) for part in rule) for kind, rule in FLAG_RULES.items()}

    @api.model
    def _flag_upsert_query(self, today):
        """Raise each automatic flag once per partner and kind; a flag that comes back is reviewed again."""
        kinds = self._flag_sql_kinds()
        wanted = SQL(" UNION ALL ").join(
            SQL(
                "SELECT w.partner_id, w.company_id, %s AS kind, (%s)::float AS measure, (%s)::float AS measure2"
                " FROM affinity_value_work w WHERE %s",
                kind,
                measure,
                second,
                condition,
            )
            for kind, (condition, measure, second) in kinds.items()
        )
        return SQL(
            """
            INSERT INTO affinity_review_flag AS f
                   (partner_id, company_id, kind, state, state_sequence, active, date_flagged,
                    measure, measure_secondary, create_uid, create_date, write_uid, write_date)
            SELECT x.partner_id, x.company_id, x.kind, 'to_review', 0, TRUE, %(today)s, x.measure, x.measure2,
                   %(uid)s, now() AT TIME ZONE 'UTC', %(uid)s, now() AT TIME ZONE 'UTC'
              FROM (%(wanted)s) x
            ON CONFLICT (partner_id, kind) DO UPDATE
               SET measure = EXCLUDED.measure,
                   measure_secondary = EXCLUDED.measure_secondary,
                   active = TRUE,
                   state = CASE WHEN f.active THEN f.state ELSE 'to_review' END,
                   state_sequence = CASE WHEN f.active THEN f.state_sequence ELSE 0 END,
                   date_flagged = CASE WHEN f.active THEN f.date_flagged ELSE EXCLUDED.date_flagged END,
                   write_uid = EXCLUDED.write_uid,
                   write_date = EXCLUDED.write_date
             WHERE (f.measure, f.measure_secondary, f.active)
                   IS DISTINCT FROM (EXCLUDED.measure, EXCLUDED.measure_secondary, TRUE)
            RETURNING f.id
            """,
            today=today,
            uid=self.env.uid,
            wanted=wanted,
        )

    @api.model
    def _flag_archive_query(self):
        """Automatic flags whose reason went away are archived, kept as history."""
        kinds = self._flag_sql_kinds()
        holds = SQL(" ").join(
            SQL("WHEN %s THEN %s", kind, condition) for kind, (condition, *_m) in kinds.items()
        )
        return SQL(
            """
            UPDATE affinity_review_flag f
               SET active = FALSE, write_uid = %(uid)s, write_date = now() AT TIME ZONE 'UTC'
             WHERE f.active AND f.kind = ANY(%(kinds)s)
               AND NOT EXISTS (
                    SELECT 1 FROM affinity_value_work w
                     WHERE w.partner_id = f.partner_id AND CASE f.kind %(holds)s ELSE FALSE END)
            RETURNING f.id
            """,
            uid=self.env.uid,
            kinds=list(AUTOMATIC_KINDS),
            holds=holds,
        )

    @api.model
    def _review_state_query(self, partner_ids=None, outside_work_table=False):
        """A partner is to review while one of its active, non-VIP flags waits for a decision.

        Only ``partner_ids`` when flags change through the ORM; at night, every partner the work table
        does not hold (``outside_work_table``).
        """
        flag_scope = SQL("AND partner_id = ANY(%s)", partner_ids) if partner_ids is not None else SQL()
        partner_scope = SQL("AND id = ANY(%s)", partner_ids) if partner_ids is not None else SQL()
        if outside_work_table:
            flag_scope = SQL(
                "%s AND partner_id NOT IN (SELECT partner_id FROM affinity_value_work)", flag_scope
            )
            partner_scope = SQL(
                "%s AND id NOT IN (SELECT partner_id FROM affinity_value_work)", partner_scope
            )
        waiting = self._waiting_flag_sql(SQL("p.id"))
        return SQL(
            """
            WITH candidates AS (
                SELECT partner_id AS id FROM affinity_review_flag
                 WHERE active AND state = 'to_review' %(flag_scope)s
                UNION
                SELECT id FROM res_partner WHERE affinity_to_review %(partner_scope)s
            )
            UPDATE res_partner p SET affinity_to_review = %(waiting)s
              FROM candidates c
             WHERE c.id = p.id AND p.affinity_to_review IS DISTINCT FROM %(waiting)s
            RETURNING p.id
            """,
            flag_scope=flag_scope,
            partner_scope=partner_scope,
            waiting=waiting,
        )
