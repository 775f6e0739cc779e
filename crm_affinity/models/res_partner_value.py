"""Customer value on the partner: the figures the value engine writes each night, purchase rhythm and
offboarding. The engine itself is ``affinity.customer.value`` (affinity_customer_value.py)."""

from odoo import api, fields, models
from odoo.exceptions import AccessError
from odoo.tools import SQL
from odoo.tools.sql import drop_index

from ..tools.groups import AFFINITY_MANAGER, AFFINITY_USER

OFFBOARD_STRATEGIES = [
    ("price_review", "Price review"),
    ("self_service", "Move to self-service"),
    ("stop_marketing", "Stop marketing"),
    ("end_relationship", "End the relationship"),
]


# pylint: disable=consider-merging-classes-inherited
class ResPartner(models.Model):
    _inherit = "res.partner"

    # Purchase rhythm: last purchase, usual interval and lapse day, from confirmed orders.
    affinity_last_order_date = fields.Date(
        string="Last Purchase", readonly=True, index=True, groups=AFFINITY_USER
    )
    affinity_order_interval = fields.Float(
        string="Usual Purchase Interval (days)", readonly=True, groups=AFFINITY_USER
    )
    affinity_lapse_date = fields.Date(
        string="Lapses On",
        readonly=True,
        index=True,
        groups=AFFINITY_USER,
        help="Last purchase plus the customer's usual interval (times the company's lapse factor): "
        "no purchase by then and the customer is lapsing.",
    )
    # Customer value, written nightly by affinity.customer.value.
    affinity_value_date = fields.Date(string="Value Computed On", readonly=True, groups=AFFINITY_USER)
    affinity_rfm_recency = fields.Integer(
        string="Recency (days)", readonly=True, groups=AFFINITY_USER, help="Days since the last purchase."
    )
    affinity_rfm_frequency = fields.Integer(string="Purchases", readonly=True, groups=AFFINITY_USER)
    affinity_rfm_monetary = fields.Monetary(
        string="Revenue (all time)",
        currency_field="currency_id",
        readonly=True,
        groups=AFFINITY_USER,
    )
    affinity_rfm_r = fields.Integer(string="R Score", readonly=True, groups=AFFINITY_USER, aggregator="avg")
    affinity_rfm_f = fields.Integer(string="F Score", readonly=True, groups=AFFINITY_USER, aggregator="avg")
    affinity_rfm_m = fields.Integer(string="M Score", readonly=True, groups=AFFINITY_USER, aggregator="avg")
    # The nightly value columns carry no index: an update that touches no indexed column can stay on its
    # page (HOT) instead of adding an entry to every one of res_partner's ~40 indexes.
    affinity_rfm_score = fields.Char(string="RFM", readonly=True, groups=AFFINITY_USER)
    affinity_segment_id = fields.Many2one(
        "affinity.rfm.segment", string="Segment", readonly=True, groups=AFFINITY_USER
    )
    affinity_revenue_12m = fields.Monetary(
        string="Revenue (window)", currency_field="currency_id", readonly=True, groups=AFFINITY_USER
    )
    affinity_product_cost_12m = fields.Monetary(
        string="Product Cost", currency_field="currency_id", readonly=True, groups=AFFINITY_MANAGER
    )
    affinity_discount_12m = fields.Monetary(
        string="Discounts Given",
        currency_field="currency_id",
        readonly=True,
        groups=AFFINITY_MANAGER,
    )
    affinity_service_cost_12m = fields.Monetary(
        string="Service Cost",
        currency_field="currency_id",
        readonly=True,
        groups=AFFINITY_MANAGER,
        help="Done activities and complaints, at their unit costs.",
    )
    affinity_cost_to_serve = fields.Monetary(
        string="Cost to Serve",
        currency_field="currency_id",
        readonly=True,
        groups=AFFINITY_MANAGER,
        help="Service cost plus discounts given.",
    )
    affinity_margin_12m = fields.Monetary(
        string="Margin after Service Cost",
        currency_field="currency_id",
        readonly=True,
        groups=AFFINITY_MANAGER,
        help="Revenue minus product cost minus service cost, over the value window.",
    )
    affinity_ltv = fields.Monetary(
        string="Lifetime Value",
        currency_field="currency_id",
        readonly=True,
        groups=AFFINITY_USER,
        help="(Yearly gross margin since the first purchase - yearly service cost) x expected lifetime.",
    )
    affinity_value_rank = fields.Integer(
        string="Value Rank", readonly=True, groups=AFFINITY_USER, aggregator=False
    )
    affinity_margin_rank = fields.Integer(
        string="Profitability Rank", readonly=True, groups=AFFINITY_MANAGER, aggregator=False
    )
    affinity_complaint_count = fields.Integer(string="Recent Complaints", readonly=True, groups=AFFINITY_USER)
    affinity_late_share = fields.Float(
        string="Paid Late (%)", readonly=True, groups=AFFINITY_USER, aggregator="avg"
    )
    affinity_days_late = fields.Float(
        string="Average Days Late", readonly=True, groups=AFFINITY_USER, aggregator="avg"
    )
    affinity_discount_share = fields.Float(
        string="Revenue at Discount (%)", readonly=True, groups=AFFINITY_USER, aggregator="avg"
    )
    affinity_vip = fields.Boolean(string="VIP", readonly=True, groups=AFFINITY_USER)
    affinity_flag_ids = fields.One2many(
        "affinity.review.flag", "partner_id", string="Review Flags", groups=AFFINITY_MANAGER
    )
    affinity_to_review = fields.Boolean(
        string="To Review",
        readonly=True,
        index=True,
        groups=AFFINITY_USER,
        help="A review flag of this customer waits for a manager's decision.",
    )
    affinity_offboard_strategy = fields.Selection(
        OFFBOARD_STRATEGIES, string="Offboarding", readonly=True, groups=AFFINITY_USER
    )
    affinity_offboard_reason = fields.Text(string="Offboarding Reason", readonly=True, groups=AFFINITY_USER)
    affinity_offboarded_on = fields.Date(string="Offboarded On", readonly=True, groups=AFFINITY_USER)
    affinity_offboarded_by_id = fields.Many2one(
        "res.users", string="Offboarded By", readonly=True, groups=AFFINITY_USER
    )
    affinity_segment_name = fields.Char(
        string="RFM Segment",
        compute="_compute_affinity_segment_name",
        groups=AFFINITY_USER,
        help="The segment, as the partner form shows it (named from a cache: no query).",
    )

    def init(self):
        result = super().init()
        # Odoo keeps an index a field no longer asks for: the value columns' former indexes go here.
        for column in ("affinity_rfm_score", "affinity_segment_id", "affinity_vip"):
            drop_index(self.env.cr, f"res_partner__{column}_index", "res_partner")
        return result

    @api.depends("affinity_segment_id")
    @api.depends_context("lang")
    def _compute_affinity_segment_name(self):
        names = self.env["affinity.rfm.segment"]._names_by_id()
        for partner in self:
            partner.affinity_segment_name = names.get(partner.affinity_segment_id.id, False)

    def action_affinity_offboard(self):
        """Open the graceful offboarding: a decision, a reason and a courteous closing, never a silent drop."""
        self.ensure_one()
        if not self.env.user.has_group(AFFINITY_MANAGER):
            raise AccessError(self.env._("Only Affinity administrators may offboard a customer."))
        flags = self.env["affinity.review.flag"].search(
            [("partner_id", "=", self.id), ("state", "=", "to_review")]
        )
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Offboard %s", self.display_name),
            "res_model": "affinity.offboard",
            "view_mode": "form",
            "target": "new",
            "context": {
                "default_partner_id": self.id,
                "default_flag_ids": self.env.context.get("default_flag_ids") or flags.ids,
            },
        }

    def action_affinity_review_flags(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("crm_affinity.affinity_review_flag_action")
        action["domain"] = [("partner_id", "=", self.id)]
        action["context"] = {"active_test": False}
        return action

    def _affinity_refresh_review_state(self):
        """Keep the 'to review' mark in step with flags changed through the ORM, by the nightly rule."""
        if not self:
            return
        self.env["affinity.review.flag"].flush_model(["partner_id", "state", "kind", "active"])
        self.flush_model(["affinity_to_review"])
        self.env.execute_query(self.env["affinity.customer.value"]._review_state_query(self.ids))
        self.invalidate_recordset(["affinity_to_review"])

    def _affinity_refresh_purchase_rhythm(self, all_customers=False):
        """Last purchase, usual interval and lapse day from confirmed orders, in one statement.

        Only rows whose values change are written, so a nightly run over all customers touches the
        customers who bought since.
        """
        if not self and not all_customers:
            return 0
        company = self.env.company
        self.env["sale.order"].flush_model(["partner_id", "state", "date_order"])
        self.flush_model(["affinity_last_order_date", "affinity_order_interval", "affinity_lapse_date"])
        scope = SQL() if all_customers else SQL("AND so.partner_id = ANY(%s)", self.ids)
        rows = self.env.execute_query(
            SQL(
                """
                WITH stats AS (
                    SELECT so.partner_id, max(so.date_order)::date AS last_order,
                           CASE WHEN count(*) > 1
                                THEN (max(so.date_order)::date - min(so.date_order)::date)::float / (count(*) - 1)
                           END AS interval_days
                      FROM sale_order so
                     WHERE so.state = 'sale' %(scope)s
                     GROUP BY so.partner_id
                ), target AS (
                    SELECT partner_id, last_order, interval_days,
                           last_order + GREATEST(%(min_days)s, CEIL(%(factor)s * COALESCE(interval_days, 0)))::int
                               AS lapse
                      FROM stats
                )
                UPDATE res_partner p
                   SET affinity_last_order_date = t.last_order,
                       affinity_order_interval = t.interval_days,
                       affinity_lapse_date = t.lapse
                  FROM target t
                 WHERE p.id = t.partner_id
                   AND (p.affinity_last_order_date IS DISTINCT FROM t.last_order
                        OR p.affinity_order_interval IS DISTINCT FROM t.interval_days
                        OR p.affinity_lapse_date IS DISTINCT FROM t.lapse)
                RETURNING p.id
                """,
                scope=scope,
                min_days=company.affinity_lapse_min_days,
                factor=company.affinity_lapse_factor,
            )
        )
        self.invalidate_model(["affinity_last_order_date", "affinity_order_interval", "affinity_lapse_date"])
        return len(rows)
