from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import SQL, sql

FLAG_KINDS = [
    ("serial_complainer", "Serial complainer"),
    ("late_payer", "Chronic late payer"),
    ("deal_seeker", "Deal seeker"),
    ("unprofitable", "Unprofitable"),
    ("fraud", "Fraud"),
    ("vip", "VIP"),
]
# Kinds the nightly recompute raises and clears; fraud is a person's judgement only.
AUTOMATIC_KINDS = ("serial_complainer", "late_payer", "deal_seeker", "unprofitable", "vip")
FLAG_STATES = [("to_review", "To review"), ("kept", "Kept"), ("offboarded", "Offboarded")]


class AffinityReviewFlag(models.Model):
    """Why a relationship deserves a manager's look, with the evidence that raised the flag."""

    _name = "affinity.review.flag"
    _description = "Affinity Review Flag"
    _order = "state_sequence, date_flagged desc, id desc"
    _rec_name = "partner_id"

    partner_id = fields.Many2one("res.partner", required=True, index=True, ondelete="cascade")
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    kind = fields.Selection(FLAG_KINDS, required=True, index=True)
    state = fields.Selection(FLAG_STATES, required=True, default="to_review", index=True)
    state_sequence = fields.Integer(compute="_compute_state_sequence", store=True)
    active = fields.Boolean(default=True)
    date_flagged = fields.Date(required=True, default=fields.Date.context_today)
    measure = fields.Float(readonly=True, help="The figure that raised the flag.")
    measure_secondary = fields.Float(readonly=True)
    evidence = fields.Char(compute="_compute_evidence")
    note = fields.Text(help="What the reviewer saw, decided or was told; required for a fraud flag.")
    decided_by_id = fields.Many2one("res.users", readonly=True)
    decided_on = fields.Date(readonly=True)
    partner_segment_id = fields.Many2one(related="partner_id.affinity_segment_id", string="Segment")
    partner_ltv = fields.Monetary(related="partner_id.affinity_ltv", string="Lifetime Value")
    partner_margin = fields.Monetary(related="partner_id.affinity_margin_12m", string="Margin")

    @api.depends("kind")
    @api.depends_context("lang")
    def _compute_display_name(self):
        # A flag is read beside its customer (list, partner, offboarding): its name says what it is.
        kinds = dict(self._fields["kind"]._description_selection(self.env))
        for flag in self:
            flag.display_name = kinds.get(flag.kind) or ""

    @api.depends("state")
    def _compute_state_sequence(self):
        order = {state: index for index, (state, _label) in enumerate(FLAG_STATES)}
        for flag in self:
            flag.state_sequence = order.get(flag.state, 0)

    @api.depends("kind", "measure", "measure_secondary", "note", "company_id")
    def _compute_evidence(self):
        for flag in self:
            company = flag.company_id or self.env.company
            measure, second = flag.measure, flag.measure_secondary
            if flag.kind == "serial_complainer":
                text = self.env._(
                    "%(count)s complaints in the last %(months)s months (threshold %(threshold)s)",
                    count=int(measure),
                    months=company.affinity_complaint_months,
                    threshold=company.affinity_complaint_threshold,
                )
            elif flag.kind == "late_payer":
                text = self.env._(
                    "%(share).0f%% of due invoices paid late, %(days).1f days late on average",
                    share=measure,
                    days=second,
                )
            elif flag.kind == "deal_seeker":
                text = self.env._(
                    "%(share).0f%% of revenue at a discount or on promotion over %(orders)s orders",
                    share=measure,
                    orders=int(second),
                )
            elif flag.kind == "unprofitable":
                text = self.env._(
                    "Margin over the last %(months)s months: %(margin).2f %(currency)s",
                    months=company.affinity_value_months,
                    margin=measure,
                    currency=company.currency_id.name,
                )
            elif flag.kind == "vip":
                text = self.env._(
                    "Lifetime value %(ltv).2f %(currency)s, rank %(rank)s",
                    ltv=measure,
                    currency=company.currency_id.name,
                    rank=int(second),
                )
            else:
                text = flag.note or ""
            flag.evidence = text

    @api.constrains("kind", "note")
    def _check_fraud_note(self):
        for flag in self:
            if flag.kind == "fraud" and not (flag.note or "").strip():
                raise ValidationError(self.env._("A fraud flag needs a note with the evidence."))

    def init(self):
        # The nightly upsert (ON CONFLICT) needs this index; the Python check gives users a clear message.
        sql.create_unique_index(
            self.env.cr, "affinity_review_flag_partner_kind_uniq", self._table, ["partner_id", "kind"]
        )

    @api.model_create_multi
    def create(self, vals_list):
        self._raise_if_duplicate([(vals.get("partner_id"), vals.get("kind")) for vals in vals_list])
        flags = super().create(vals_list)
        flags.partner_id._affinity_refresh_review_state()
        return flags

    def write(self, vals):
        if {"partner_id", "kind"} & set(vals):
            self._raise_if_duplicate(
                [(vals.get("partner_id", flag.partner_id.id), vals.get("kind", flag.kind)) for flag in self],
                exclude=self,
            )
        result = super().write(vals)
        if {"state", "active", "kind"} & set(vals):
            self.partner_id._affinity_refresh_review_state()
        return result

    def action_keep(self):
        """The manager looked and keeps the relationship as it is."""
        self.write(
            {"state": "kept", "decided_by_id": self.env.uid, "decided_on": fields.Date.context_today(self)}
        )

    def action_reopen(self):
        self.write({"state": "to_review", "decided_by_id": False, "decided_on": False})

    def action_offboard(self):
        partner = self.partner_id
        if len(partner) != 1:
            raise ValidationError(self.env._("Offboard one customer at a time."))
        return partner.with_context(default_flag_ids=self.ids).action_affinity_offboard()

    @api.model
    def _raise_if_duplicate(self, pairs, exclude=None):
        """One flag per customer and kind: say so before the unique index refuses it."""
        seen = set()
        for partner_id, kind in pairs:
            twins = (partner_id, kind) in seen or self.with_context(active_test=False).search_count(
                [
                    ("partner_id", "=", partner_id),
                    ("kind", "=", kind),
                    ("id", "not in", (exclude or self).ids),
                ],
                limit=1,
            )
            seen.add((partner_id, kind))
            if twins:
                raise ValidationError(
                    self.env._(
                        "%(partner)s already carries a '%(kind)s' flag: reopen it instead.",
                        partner=self.env["res.partner"].browse(partner_id).display_name,
                        kind=dict(FLAG_KINDS).get(kind, kind),
                    )
                )

    @api.model
    def _flag_sql_kinds(self):
        """Work-table column that raises each automatic kind, with its measures."""
        return {
            "serial_complainer": (SQL("w.flag_complainer"), SQL("w.complaints_recent"), SQL("0")),
            "late_payer": (SQL("w.flag_late"), SQL("w.late_share"), SQL("w.days_late")),
            "deal_seeker": (SQL("w.flag_deal"), SQL("w.discount_share"), SQL("w.orders_w")),
            "unprofitable": (SQL("w.flag_unprofitable"), SQL("w.margin"), SQL("0")),
            "vip": (SQL("w.flag_vip"), SQL("w.ltv"), SQL("w.value_rank")),
        }
