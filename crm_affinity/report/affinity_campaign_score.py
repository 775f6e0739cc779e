from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from ..tools.measures import (
    CAC,
    CONVERSION,
    DAYS_TO_PURCHASE,
    REPEAT_SHARE,
    REVENUE_PER_CUSTOMER,
    ROI,
    VALUE_12M_PER_CUSTOMER,
    gross_margin,
    ratio_select,
)
from ..tools.sql import without_jit
from ..tools.xlsx import XLSX_MIMETYPE, Workbook, download_action

DIMENSIONS = [
    ("source", "Source"),
    ("medium", "Medium"),
    ("campaign", "Campaign"),
    ("cohort", "Acquisition month"),
]
RANKINGS = [
    ("roi", "Return on investment"),
    ("value", "Total value (revenue)"),
    ("customer_value", "12-month value per customer"),
]
# What the graph and the pivot measure for each ranking.
RANK_MEASURES = {"roi": "roi", "value": "revenue", "customer_value": "value_12m_per_customer"}
# Per dimension: the key on partners (p), leads (l) and spend rows (s); the spend day is d.
KEYS = {
    "source": ("p.affinity_source_id::text", "l.source_id::text", "s.source_id::text"),
    "medium": ("p.affinity_medium_id::text", "l.medium_id::text", "s.medium_id::text"),
    "campaign": ("p.affinity_campaign_id::text", "l.campaign_id::text", "s.campaign_id::text"),
    "cohort": (
        "to_char(p.affinity_acquired_on, 'YYYY-MM')",
        "to_char(l.create_date, 'YYYY-MM')",
        "to_char(d.day, 'YYYY-MM')",
    ),
}
# The ratios of a scoring line, each computed from the line's figures, and for a total from their sums.
LINE_RATIOS = {
    "conversion_rate": CONVERSION,
    "cac": CAC,
    "roi": ROI,
    "revenue_per_customer": REVENUE_PER_CUSTOMER,
    "value_12m_per_customer": VALUE_12M_PER_CUSTOMER,
    "repeat_share": REPEAT_SHARE,
    "days_to_purchase": DAYS_TO_PURCHASE,
}
# The workbook's columns in per cent: written as fractions in percent-formatted cells.
PERCENT_COLUMNS = ("conversion_rate", "roi", "repeat_share")


class AffinityCampaignScore(models.TransientModel):
    """Which source, medium, campaign or acquisition month pays: one statement over the whole base."""

    _name = "affinity.campaign.score"
    _description = "Affinity Campaign Scoring"

    date_from = fields.Date(
        required=True, default=lambda self: fields.Date.context_today(self).replace(month=1, day=1)
    )
    date_to = fields.Date(required=True, default=fields.Date.context_today)
    company_ids = fields.Many2many(
        "res.company", string="Companies", required=True, default=lambda self: self.env.companies
    )
    dimension = fields.Selection(DIMENSIONS, required=True, default="source")
    rank_by = fields.Selection(RANKINGS, required=True, default="roi")
    currency_id = fields.Many2one("res.currency", default=lambda self: self.env.company.currency_id)
    campaign_ids = fields.Many2many("utm.campaign", string="Only Campaigns", help="Empty: every campaign.")
    line_ids = fields.One2many("affinity.campaign.score.line", "score_id")

    @api.constrains("date_from", "date_to")
    def _check_dates(self):
        for score in self:
            if score.date_from > score.date_to:
                raise UserError(self.env._("The scoring period ends after it starts."))

    def action_export_xlsx(self):
        """The ranking as a workbook: summary with a bar chart, a sheet per dimension, the customers."""
        self.ensure_one()
        return download_action(self, self._xlsx(), "campaign_scoring.xlsx", XLSX_MIMETYPE)

    def _xlsx(self):
        book = Workbook()
        columns = [
            ("rank", self.env._("Rank"), None),
            ("name", self.env._("Name"), None),
            ("leads", self.env._("Leads"), None),
            ("won", self.env._("Won"), None),
            ("conversion_rate", self.env._("Conversion %"), "percent"),
            ("new_customers", self.env._("New customers"), None),
            ("revenue", self.env._("Revenue"), "money"),
            ("margin", self.env._("Gross margin"), "money"),
            ("spend", self.env._("Spend"), "money"),
            ("cac", self.env._("CAC"), "money"),
            ("roi", self.env._("ROI %"), "percent"),
            ("value_12m_per_customer", self.env._("12-month value per customer"), "money"),
            ("repeat_share", self.env._("Repeat buyers %"), "percent"),
        ]
        formats = {index: getattr(book, fmt) for index, (_key, _title, fmt) in enumerate(columns) if fmt}
        summary = None
        labels = self._dimension_labels()
        for dimension, label in labels.items():
            score = self.new(
                {
                    "date_from": self.date_from,
                    "date_to": self.date_to,
                    "company_ids": [(6, 0, self.company_ids.ids)],
                    "campaign_ids": [(6, 0, self.campaign_ids.ids)],
                    "dimension": dimension,
                    "rank_by": self.rank_by,
                }
            )
            lines = score._ranked_lines()
            for values in lines:
                values["name"] = self._line_name(dimension, values)
            rows = [[self._cell_value(key, values[key]) for key, _title, _fmt in columns] for values in lines]
            if lines:
                total = self._total_values(lines)
                rows.append([self._cell_value(key, total.get(key)) for key, _title, _fmt in columns])
            sheet_name = self._summary_sheet_name() if dimension == self.dimension else label
            sheet = book.table(sheet_name, [title for _key, title, _fmt in columns], rows, formats)
            if dimension == self.dimension:
                summary = (sheet, sheet_name, len(rows))
        if summary:
            sheet, name, count = summary
            chart = book.book.add_chart({"type": "bar"})
            chart.add_series(
                {
                    "name": self.env._("ROI %"),
                    "categories": [name, 1, 1, max(count, 1), 1],
                    "values": [name, 1, 10, max(count, 1), 10],
                }
            )
            chart.set_title({"name": self.env._("Return on investment by %s", labels[self.dimension])})
            chart.set_legend({"none": True})
            sheet.insert_chart(1, len(columns) + 1, chart)
            sheet.activate()
        customers = self.env["res.partner"].search(self._customer_domain(), order="affinity_acquired_on, id")
        book.table(
            self.env._("Customers"),
            [
                self.env._("Customer"),
                self.env._("Acquired on"),
                self.env._("Source"),
                self.env._("Medium"),
                self.env._("Campaign"),
                self.env._("Referred by"),
            ],
            [
                (
                    p.name,
                    p.affinity_acquired_on,
                    p.affinity_source_id.name or "",
                    p.affinity_medium_id.name or "",
                    p.affinity_campaign_id.name or "",
                    p.affinity_referred_by_id.name or "",
                )
                for p in customers
            ],
        )
        return book.close()

    @api.model
    def _cell_value(self, key, value):
        """A workbook cell's value: a per-cent figure as the fraction a percent-formatted cell shows."""
        if key in PERCENT_COLUMNS and value is not None:
            return value / 100.0
        return value

    @api.model
    def _total_values(self, lines):
        """The total row of ranked lines: the figures summed, each ratio computed from those sums."""
        figures = {
            "leads",
            "won",
            "new_customers",
            "revenue",
            "margin",
            "spend",
            "value_12m",
            "repeat_buyers",
            "purchase_days",
            "purchasers",
        }
        total = {name: sum(values[name] for values in lines) for name in figures}
        total.update({name: ratio.value(total) for name, ratio in LINE_RATIOS.items()})
        total.update(rank=None, name=self.env._("Total"))
        return total

    def _dimension_labels(self):
        """{dimension: its label in the reader's language}, in the order of the selection."""
        return dict(self._fields["dimension"]._description_selection(self.env))

    def _summary_sheet_name(self):
        return {
            "roi": self.env._("Summary by ROI"),
            "value": self.env._("Summary by value"),
            "customer_value": self.env._("Summary by 12-month value"),
        }[self.rank_by]

    def _customer_domain(self):
        """The customers the score counts, as the scoring statement selects them."""
        self.ensure_one()
        domain = [
            ("affinity_acquired_on", ">=", self.date_from),
            ("affinity_acquired_on", "<=", self.date_to),
            "|",
            ("company_id", "=", False),
            ("company_id", "in", self.company_ids.ids),
        ]
        if self.campaign_ids:
            domain.append(("affinity_campaign_id", "in", self.campaign_ids.ids))
        return domain

    def _line_name(self, dimension, values):
        if dimension == "cohort":
            return values["cohort"]
        field = {"source": "source_id", "medium": "medium_id", "campaign": "campaign_id"}[dimension]
        model = {"source": "utm.source", "medium": "utm.medium", "campaign": "utm.campaign"}[dimension]
        return self.env[model].browse(values[field]).name if values[field] else self.env._("Unknown")

    def action_compute(self):
        """Score, rank, and show the ranked lines."""
        self.ensure_one()
        self.line_ids.unlink()
        self.env["affinity.campaign.score.line"].create(
            [dict(values, score_id=self.id) for values in self._ranked_lines()]
        )
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Campaign scoring: %s", self._dimension_labels()[self.dimension]),
            "res_model": "affinity.campaign.score.line",
            "view_mode": "list,graph,pivot",
            "domain": [("score_id", "=", self.id)],
            "context": {
                "search_default_order_rank": 1,
                "graph_measure": RANK_MEASURES[self.rank_by],
                "pivot_measures": [RANK_MEASURES[self.rank_by], "new_customers", "spend"],
            },
        }

    # ------------------------------------------------------------------
    # The scoring statement: the only place the figures are computed
    # ------------------------------------------------------------------

    def _score_rows(self):
        """Raw figures per key of the chosen dimension, in the company currency."""
        self.ensure_one()
        for model in ("res.partner", "crm.lead", "sale.order", "sale.order.line", "affinity.marketing.spend"):
            self.env[model].flush_model()
        key_p, key_l, key_s = (SQL(expression) for expression in KEYS[self.dimension])
        companies = self.company_ids.ids

        def campaign_filter(column):
            if not self.campaign_ids:
                return SQL()
            return SQL("AND %s = ANY(%s)", SQL(column), self.campaign_ids.ids)

        with without_jit(self.env.cr):
            return self.env.execute_query_dict(
                SQL(
                    """
                    WITH customers AS (
                        SELECT p.id, p.affinity_acquired_on AS acquired, %(key_p)s AS key
                          FROM res_partner p
                         WHERE p.affinity_acquired_on BETWEEN %(date_from)s AND %(date_to)s
                           AND (p.company_id IS NULL OR p.company_id = ANY(%(companies)s))
                           %(customer_campaigns)s
                    ), orders AS (
                        SELECT so.id, so.partner_id, so.date_order, so.company_id,
                               so.amount_untaxed / COALESCE(NULLIF(so.currency_rate, 0), 1) AS revenue
                          FROM sale_order so
                          JOIN customers c ON c.id = so.partner_id
                         WHERE so.state = 'sale' AND so.company_id = ANY(%(companies)s)
                    ), order_costs AS (
                        SELECT sol.order_id,
                               SUM(sol.product_uom_qty
                                   * COALESCE((pp.standard_price ->> o.company_id::text)::numeric, 0)) AS cost
                          FROM sale_order_line sol
                          JOIN orders o ON o.id = sol.order_id
                          JOIN product_product pp ON pp.id = sol.product_id
                         GROUP BY sol.order_id
                    ), per_customer AS (
                        SELECT c.key, c.id, c.acquired, count(o.id) AS orders,
                               COALESCE(sum(o.revenue), 0) AS revenue,
                               COALESCE(sum(oc.cost), 0) AS cost,
                               COALESCE(sum(o.revenue) FILTER (
                                   WHERE o.date_order < c.acquired + interval '12 months'), 0) AS value_12m,
                               min(o.date_order) AS first_order
                          FROM customers c
                          LEFT JOIN orders o ON o.partner_id = c.id
                          LEFT JOIN order_costs oc ON oc.order_id = o.id
                         GROUP BY c.key, c.id, c.acquired
                    ), first_contact AS (
                        SELECT l.partner_id, min(l.create_date) AS first_contact
                          FROM crm_lead l JOIN customers c ON c.id = l.partner_id
                         GROUP BY l.partner_id
                    ), customer_figures AS (
                        SELECT pc.key, count(*) AS new_customers, sum(pc.revenue) AS revenue, sum(pc.cost) AS cost,
                               sum(pc.value_12m) AS value_12m,
                               count(*) FILTER (WHERE pc.orders >= 2) AS repeat_buyers,
                               sum(EXTRACT(EPOCH FROM pc.first_order - COALESCE(fc.first_contact, pc.first_order))
                                   / 86400) FILTER (WHERE pc.first_order IS NOT NULL) AS purchase_days,
                               count(*) FILTER (WHERE pc.first_order IS NOT NULL) AS purchasers
                          FROM per_customer pc
                          LEFT JOIN first_contact fc ON fc.partner_id = pc.id
                         GROUP BY pc.key
                    ), lead_figures AS (
                        SELECT %(key_l)s AS key, count(*) AS leads,
                               count(*) FILTER (WHERE l.type = 'opportunity') AS opportunities,
                               count(*) FILTER (WHERE st.is_won AND l.active) AS won
                          FROM crm_lead l
                          LEFT JOIN crm_stage st ON st.id = l.stage_id
                         WHERE l.create_date >= %(date_from)s AND l.create_date < %(date_to)s::date + 1
                           AND (l.company_id IS NULL OR l.company_id = ANY(%(companies)s))
                           %(lead_campaigns)s
                         GROUP BY 1
                    ), spend_figures AS (
                        -- Spend is spread evenly over its period; only the days inside the scoring period count.
                        SELECT %(key_s)s AS key,
                               sum(s.amount / (s.date_to - s.date_from + 1) / COALESCE(rate.rate, 1)) AS spend
                          FROM affinity_marketing_spend s
                          JOIN res_company co ON co.id = s.company_id
                          CROSS JOIN LATERAL generate_series(
                              GREATEST(s.date_from, %(date_from)s::date), LEAST(s.date_to, %(date_to)s::date),
                              interval '1 day') AS d(day)
                          LEFT JOIN LATERAL (
                              SELECT r.rate FROM res_currency_rate r
                               WHERE r.currency_id = s.currency_id AND s.currency_id != co.currency_id
                                 AND (r.company_id = s.company_id OR r.company_id IS NULL) AND r.name <= s.date_from
                               ORDER BY r.company_id NULLS LAST, r.name DESC LIMIT 1
                          ) rate ON TRUE
                         WHERE s.company_id = ANY(%(companies)s)
                           AND s.date_to >= %(date_from)s AND s.date_from <= %(date_to)s
                           %(spend_campaigns)s
                         GROUP BY 1
                    ), keys AS (
                        SELECT key FROM customer_figures UNION SELECT key FROM lead_figures
                        UNION SELECT key FROM spend_figures
                    )
                    SELECT k.key,
                           COALESCE(lf.leads, 0) AS leads, COALESCE(lf.opportunities, 0) AS opportunities,
                           COALESCE(lf.won, 0) AS won, COALESCE(cf.new_customers, 0) AS new_customers,
                           COALESCE(cf.revenue, 0) AS revenue, COALESCE(cf.cost, 0) AS cost,
                           COALESCE(cf.value_12m, 0) AS value_12m, COALESCE(cf.repeat_buyers, 0) AS repeat_buyers,
                           COALESCE(cf.purchase_days, 0) AS purchase_days,
                           COALESCE(cf.purchasers, 0) AS purchasers, COALESCE(sf.spend, 0) AS spend
                      FROM keys k
                      LEFT JOIN customer_figures cf ON cf.key IS NOT DISTINCT FROM k.key
                      LEFT JOIN lead_figures lf ON lf.key IS NOT DISTINCT FROM k.key
                      LEFT JOIN spend_figures sf ON sf.key IS NOT DISTINCT FROM k.key
                    """,
                    key_p=key_p,
                    key_l=key_l,
                    key_s=key_s,
                    date_from=self.date_from,
                    date_to=self.date_to,
                    companies=companies,
                    customer_campaigns=campaign_filter("p.affinity_campaign_id"),
                    lead_campaigns=campaign_filter("l.campaign_id"),
                    spend_campaigns=campaign_filter("s.campaign_id"),
                )
            )

    def _ranked_lines(self):
        """Figures with their ratios, ranked; what the list, the graph and the workbook show."""
        lines = []
        for row in self._score_rows():
            revenue = float(row["revenue"])
            values = {
                "leads": row["leads"],
                "opportunities": row["opportunities"],
                "won": row["won"],
                "new_customers": row["new_customers"],
                "revenue": revenue,
                "margin": gross_margin(revenue, float(row["cost"])),
                "spend": float(row["spend"]),
                "has_roi": bool(row["spend"]),
                "value_12m": float(row["value_12m"]),
                "repeat_buyers": row["repeat_buyers"],
                "purchase_days": float(row["purchase_days"]),
                "purchasers": row["purchasers"],
            }
            values.update({name: ratio.value(values) for name, ratio in LINE_RATIOS.items()})
            values.update(self._key_values(row["key"]))
            lines.append(values)
        sort_key = {
            "roi": lambda v: (v["has_roi"], v["roi"]),
            "value": lambda v: (True, v["revenue"]),
            "customer_value": lambda v: (True, v["value_12m_per_customer"]),
        }[self.rank_by]
        lines.sort(key=sort_key, reverse=True)
        for rank, values in enumerate(lines, start=1):
            values["rank"] = rank
        return lines

    def _key_values(self, key):
        if self.dimension == "cohort":
            return {"cohort": key or self.env._("Not acquired")}
        field = {"source": "source_id", "medium": "medium_id", "campaign": "campaign_id"}[self.dimension]
        return {field: int(key) if key else False}


class AffinityCampaignScoreLine(models.TransientModel):
    _name = "affinity.campaign.score.line"
    _description = "Affinity Campaign Scoring Line"
    _order = "rank"

    score_id = fields.Many2one("affinity.campaign.score", required=True, ondelete="cascade")
    currency_id = fields.Many2one(related="score_id.currency_id")
    rank = fields.Integer()
    source_id = fields.Many2one("utm.source")
    medium_id = fields.Many2one("utm.medium")
    campaign_id = fields.Many2one("utm.campaign")
    pilot_of_id = fields.Many2one(related="campaign_id.affinity_pilot_of_id", string="Pilot Of")
    cohort = fields.Char(string="Acquisition Month")
    name = fields.Char(compute="_compute_name", store=True)
    leads = fields.Integer()
    opportunities = fields.Integer()
    won = fields.Integer()
    # The ratios' totals and subtotals are computed from the sums of their figures (``_read_group_select``).
    conversion_rate = fields.Float(string="Conversion (%)", aggregator="avg")
    new_customers = fields.Integer()
    revenue = fields.Monetary()
    margin = fields.Monetary(string="Gross Margin", help="Revenue minus the cost of the products sold.")
    spend = fields.Monetary()
    cac = fields.Monetary(
        string="CAC", aggregator="avg", help="Customer acquisition cost: spend / new customers."
    )
    roi = fields.Float(
        string="ROI (%)",
        aggregator="avg",
        help="(Gross margin − spend) / spend: what each unit spent returned.",
    )
    has_roi = fields.Boolean()
    revenue_per_customer = fields.Monetary(aggregator="avg")
    value_12m = fields.Monetary(
        string="12-Month Value", help="What the new customers bought in their first 12 months."
    )
    value_12m_per_customer = fields.Monetary(string="12-Month Value per Customer", aggregator="avg")
    repeat_buyers = fields.Integer(help="New customers with two orders or more.")
    repeat_share = fields.Float(string="Repeat Buyers (%)", aggregator="avg")
    purchase_days = fields.Float(
        string="Days to First Purchase (sum)", help="The days to first purchase of every buyer, added up."
    )
    purchasers = fields.Integer(string="Buyers", help="New customers who bought.")
    days_to_purchase = fields.Float(string="Days to First Purchase", aggregator="avg")

    @api.model
    def _read_group_select(self, aggregate_spec, query):
        """A total or a subtotal of a ratio is the ratio of its figures' sums, not an average."""
        ratio = ratio_select(self, LINE_RATIOS, aggregate_spec, query)
        return ratio if ratio is not None else super()._read_group_select(aggregate_spec, query)

    @api.depends("source_id", "medium_id", "campaign_id", "cohort")
    def _compute_name(self):
        for line in self:
            line.name = (
                line.source_id.name
                or line.medium_id.name
                or line.campaign_id.name
                or line.cohort
                or self.env._("Unknown")
            )

    def _partner_domain(self):
        score = self.score_id
        domain = score._customer_domain()
        if score.dimension == "cohort":
            if self.cohort and self.cohort[:4].isdigit():
                year, month = (int(part) for part in self.cohort.split("-"))
                first = fields.Date.to_date(f"{year}-{month:02d}-01")
                domain += [
                    ("affinity_acquired_on", ">=", first),
                    ("affinity_acquired_on", "<", fields.Date.add(first, months=1)),
                ]
        else:
            field = {
                "source": "affinity_source_id",
                "medium": "affinity_medium_id",
                "campaign": "affinity_campaign_id",
            }[score.dimension]
            value = self[
                {"source": "source_id", "medium": "medium_id", "campaign": "campaign_id"}[score.dimension]
            ]
            domain.append((field, "=", value.id or False))
        return domain

    def action_open_customers(self):
        """Drill down: the customers behind this line."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Customers from %s", self.name),
            "res_model": "res.partner",
            "view_mode": "list,form",
            "domain": self._partner_domain(),
        }

    def action_open_orders(self):
        """Drill down: the confirmed orders of those customers."""
        self.ensure_one()
        partners = self.env["res.partner"].search(self._partner_domain())
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Orders of customers from %s", self.name),
            "res_model": "sale.order",
            "view_mode": "list,form",
            "domain": [
                ("partner_id", "in", partners.ids),
                ("state", "=", "sale"),
                ("company_id", "in", self.score_id.company_ids.ids),
            ],
        }
