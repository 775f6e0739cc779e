from odoo import api, fields, models, tools
from odoo.tools import SQL

from ..tools.measures import CAC, REVENUE_RETURN, ratio_select

# The ratios of a source, each computed from the row's figures, and for a total from their sums.
SOURCE_RATIOS = {"cac": CAC.renamed(new_customers="customers"), "revenue_return": REVENUE_RETURN}


class AffinitySourcePerformance(models.Model):
    """What each acquisition source brought and cost, all time: customers, revenue, spend, CAC, and the
    revenue return on spend (revenue before product costs: campaign scoring's ROI counts gross margin).

    A reporting view (the way core's sale.report is one) that the relationship dashboard and the pivot read;
    the campaign scoring wizard answers the same question for a chosen period.
    """

    _name = "affinity.source.performance"
    _description = "Affinity Source Performance"
    _auto = False
    _order = "revenue_return desc, id"
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
    revenue_return = fields.Float(
        string="Revenue Return (%)",
        readonly=True,
        aggregator="avg",
        help="(Revenue − spend) / spend, in per cent: revenue before the cost of the products sold, so not "
        "the return on investment (ROI) of campaign scoring, which counts gross margin.",
    )

    @api.model
    def _read_group_select(self, aggregate_spec, query):
        """A total or a subtotal of a ratio is the ratio of its figures' sums, not an average."""
        ratio = ratio_select(self, SOURCE_RATIOS, aggregate_spec, query)
        return ratio if ratio is not None else super()._read_group_select(aggregate_spec, query)

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
                           j.spend, %(cac)s AS cac, %(revenue_return)s AS revenue_return
                      FROM joined j
                      LEFT JOIN res_company c ON c.id = j.company_id
                )
                """,
                view=SQL.identifier(self._table),
                cac=SOURCE_RATIOS["cac"].sql(lambda name: SQL("j.%s", SQL.identifier(name))),
                revenue_return=SOURCE_RATIOS["revenue_return"].sql(
                    lambda name: SQL("j.%s", SQL.identifier(name))
                ),
            )
        )
