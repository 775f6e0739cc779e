"""Where each customer came from: acquisition source, medium, campaign, referrer and day.

The campaign scoring report (report/affinity_campaign_score.py) reads these fields; the nightly
relationship job fills them from the customer's first won opportunity, order or lead.
"""

from odoo import fields, models
from odoo.tools import SQL

ATTRIBUTION_FIELDS = (
    "affinity_source_id",
    "affinity_medium_id",
    "affinity_campaign_id",
    "affinity_referred_by_id",
    "affinity_acquired_on",
)


# pylint: disable=consider-merging-classes-inherited
class ResPartner(models.Model):
    _inherit = "res.partner"

    # Where the customer came from: everyone reads it, affinity users change it.
    affinity_source_id = fields.Many2one("utm.source", string="Acquisition Source", index=True)
    affinity_medium_id = fields.Many2one("utm.medium", string="Acquisition Medium", index=True)
    affinity_campaign_id = fields.Many2one("utm.campaign", string="Acquisition Campaign", index=True)
    affinity_referred_by_id = fields.Many2one("res.partner", string="Referred By", index=True)
    affinity_acquired_on = fields.Date(string="Acquired On", index=True)
    affinity_attribution_manual = fields.Boolean(
        string="Attribution Set by Hand",
        help="Set as soon as someone edits the attribution: automatic filling then leaves it alone.",
    )
    affinity_referral_count = fields.Integer(string="Referrals", compute="_compute_affinity_summary")
    affinity_source_name = fields.Char(
        string="Source",
        compute="_compute_affinity_summary",
        help="The acquisition source as the partner form shows it, read with the form's summary.",
    )

    def write(self, vals):
        if any(field in vals for field in ATTRIBUTION_FIELDS):
            # A person set the origin: the automatic filling leaves it alone from now on.
            vals = dict(vals, affinity_attribution_manual=True)
        return super().write(vals)

    def _affinity_source_lines_query(self):
        # A many2one on the form costs a read of utm.source of its own: the name is all the form shows.
        self.flush_model(["affinity_source_id"])
        self.env["utm.source"].flush_model(["name"])
        return SQL(
            """SELECT p.id AS key, s.name AS line
                 FROM res_partner p JOIN utm_source s ON s.id = p.affinity_source_id
                WHERE p.id = ANY(%s)""",
            self.ids,
        )

    def _affinity_fill_attribution(self, all_customers=False):
        """Where each customer came from, from the first won opportunity, else the first confirmed order,
        else the lead that created them; one statement, and never over a value a person set."""
        if not self and not all_customers:
            return 0
        for model in ("res.partner", "crm.lead", "sale.order"):
            self.env[model].flush_model()

        def scope(column):
            return SQL() if all_customers else SQL("AND %s = ANY(%s)", SQL(column), self.ids)

        rows = self.env.execute_query(
            SQL(
                """
                WITH candidates AS (
                    SELECT l.partner_id, 1 AS priority, l.date_closed AS happened, l.source_id, l.medium_id,
                           l.campaign_id
                      FROM crm_lead l JOIN crm_stage s ON s.id = l.stage_id
                     WHERE s.is_won AND l.active AND l.partner_id IS NOT NULL %(lead_scope)s
                    UNION ALL
                    SELECT so.partner_id, 2, so.date_order, so.source_id, so.medium_id, so.campaign_id
                      FROM sale_order so
                     WHERE so.state = 'sale' %(order_scope)s
                    UNION ALL
                    SELECT l.partner_id, 3, l.create_date, l.source_id, l.medium_id, l.campaign_id
                      FROM crm_lead l
                     WHERE l.partner_id IS NOT NULL %(lead_scope)s
                ), per_partner AS (
                    -- The first touch that carries any UTM value: the same row for all three columns.
                    SELECT partner_id,
                           min(happened) FILTER (WHERE priority < 3)::date AS acquired_on,
                           (array_agg(source_id ORDER BY priority, happened) FILTER (WHERE %(has_utm)s))[1]
                               AS source_id,
                           (array_agg(medium_id ORDER BY priority, happened) FILTER (WHERE %(has_utm)s))[1]
                               AS medium_id,
                           (array_agg(campaign_id ORDER BY priority, happened) FILTER (WHERE %(has_utm)s))[1]
                               AS campaign_id
                      FROM candidates
                     GROUP BY partner_id
                )
                UPDATE res_partner p
                   SET affinity_source_id = COALESCE(p.affinity_source_id, f.source_id),
                       affinity_medium_id = COALESCE(p.affinity_medium_id, f.medium_id),
                       affinity_campaign_id = COALESCE(p.affinity_campaign_id, f.campaign_id),
                       affinity_acquired_on = COALESCE(p.affinity_acquired_on, f.acquired_on)
                  FROM per_partner f
                 WHERE p.id = f.partner_id AND f.acquired_on IS NOT NULL
                   AND NOT COALESCE(p.affinity_attribution_manual, FALSE)
                   AND (p.affinity_acquired_on IS NULL
                        OR (p.affinity_source_id IS NULL AND f.source_id IS NOT NULL))
                RETURNING p.id
                """,
                lead_scope=scope("l.partner_id"),
                order_scope=scope("so.partner_id"),
                has_utm=SQL("source_id IS NOT NULL OR medium_id IS NOT NULL OR campaign_id IS NOT NULL"),
            )
        )
        self.invalidate_model(list(ATTRIBUTION_FIELDS))
        return len(rows)
