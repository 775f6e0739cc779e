from odoo import fields, models, tools
from odoo.tools import SQL


class AffinitySourcePerformance(models.Model):
    """What each acquisition source brought and cost, all time: customers, revenue, spend, CAC, ROI.

    A reporting view (the way core's sale.report is one) that the relationship dashboard and the pivot read;
    the campaign scoring wizard answers the same question for a chosen period.
    """

    _name = "affinity.source.performance"
    _description = "Affinity Source Performance"
    _auto = False
    _order = "roi desc, id"
    _rec_name = "source_id"

    source_id = fields.Many2one("utm.source", string="Acquisition Source", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    customers = fields.Integer(readonly=True)
    revenue = fields.Monetary(string="Revenue (all time)", readonly=True)
    lifetime_value = fields.Monetary(readonly=True)
    spend = fields.Monetary(readonly=True)
    cac = fields.Monetary(
        string="CAC",
        readonly=True,
        aggregator="avg",
        help="Customer acquisition cost: spend / new customers.",
    )
    roi = fields.Float(
        string="ROI (%)", readonly=True, aggregator="avg", help="(Revenue − spend) / spend, in per cent."
    )

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(
            SQL(
                """
                CREATE VIEW %(view)s AS (
                    WITH acquired AS (
                        SELECT p.affinity_source_id AS source_id, p.company_id, count(*) AS customers,
                               sum(COALESCE(p.affinity_rfm_monetary, 0)) AS revenue,
                               sum(COALESCE(p.affinity_ltv, 0)) AS lifetime_value
                          FROM res_partner p
                         WHERE p.affinity_source_id IS NOT NULL AND p.active
                         GROUP BY p.affinity_source_id, p.company_id
                    ), spent AS (
                        SELECT s.source_id, s.company_id, sum(s.amount) AS spend
                          FROM affinity_marketing_spend s
                         WHERE s.source_id IS NOT NULL
                         GROUP BY s.source_id, s.company_id
                    ), joined AS (
                        -- A customer of no company counts for the company that paid for the source.
                        SELECT COALESCE(a.source_id, s.source_id) AS source_id,
                               COALESCE(s.company_id, a.company_id) AS company_id,
                               COALESCE(a.customers, 0) AS customers, COALESCE(a.revenue, 0) AS revenue,
                               COALESCE(a.lifetime_value, 0) AS lifetime_value, COALESCE(s.spend, 0) AS spend
                          FROM acquired a
                          FULL JOIN spent s
                            ON s.source_id = a.source_id AND (a.company_id IS NULL OR a.company_id = s.company_id)
                    )
                    SELECT row_number() OVER (ORDER BY j.source_id, j.company_id) AS id,
                           j.source_id, j.company_id, c.currency_id, j.customers, j.revenue, j.lifetime_value,
                           j.spend,
                           CASE WHEN j.customers > 0 THEN round(j.spend / j.customers, 2) END AS cac,
                           CASE WHEN j.spend > 0 THEN round(100.0 * (j.revenue - j.spend) / j.spend, 2) END AS roi
                      FROM joined j
                      LEFT JOIN res_company c ON c.id = j.company_id
                )
                """,
                view=SQL.identifier(self._table),
            )
        )
