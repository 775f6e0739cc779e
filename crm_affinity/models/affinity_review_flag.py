import contextlib

import psycopg2

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools.misc import format_amount

FLAG_KINDS = [
    ("serial_complainer", "Serial complainer"),
    ("late_payer", "Chronic late payer"),
    ("deal_seeker", "Deal seeker"),
    ("unprofitable", "Unprofitable"),
    ("fraud", "Fraud"),
    ("vip", "VIP"),
]
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
    partner_margin = fields.Monetary(
        related="partner_id.affinity_margin_12m", string="Margin after Service Cost"
    )

    _sql_constraints = [
        (
            # Also the conflict target of the value engine's nightly upsert.
            "partner_kind_uniq",
            "unique(partner_id, kind)",
            "A customer carries one flag of each kind: reopen the existing flag instead.",
        ),
    ]

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
    @api.depends_context("lang")
    def _compute_evidence(self):
        """Each kind explains itself in ``_evidence_<kind>``; a kind without one shows the reviewer's note."""
        for flag in self:
            explain = getattr(flag, f"_evidence_{flag.kind}", None)
            flag.evidence = explain(flag.company_id or self.env.company) if explain else flag.note or ""

    def _money(self, amount, currency):
        """An amount as people read it in the evidence. Odoo's ``format_amount`` glues a minus sign to the
        digits with an invisible U+FEFF (ZERO WIDTH NO-BREAK SPACE): it is left out, so that the text copied
        from the evidence or its workbook reads and searches as it shows."""
        return format_amount(self.env, amount, currency).replace("\N{ZERO WIDTH NO-BREAK SPACE}", "")

    def _evidence_serial_complainer(self, company):
        return self.env._(
            "%(count)s complaints in the last %(months)s months (threshold %(threshold)s)",
            count=int(self.measure),
            months=company.affinity_complaint_months,
            threshold=company.affinity_complaint_threshold,
        )

    def _evidence_late_payer(self, company):
        return self.env._(
            "%(share).0f%% of due invoices paid late, %(days).1f days late on average",
            share=self.measure,
            days=self.measure_secondary,
        )

    def _evidence_deal_seeker(self, company):
        return self.env._(
            "%(share).0f%% of revenue at a discount or on promotion over %(orders)s orders",
            share=self.measure,
            orders=int(self.measure_secondary),
        )

    def _evidence_unprofitable(self, company):
        return self.env._(
            "Margin after service cost over the last %(months)s months: %(margin)s",
            months=company.affinity_value_months,
            margin=self._money(self.measure, company.currency_id),
        )

    def _evidence_vip(self, company):
        return self.env._(
            "Lifetime value %(ltv)s, rank %(rank)s",
            ltv=self._money(self.measure, company.currency_id),
            rank=int(self.measure_secondary),
        )

    @api.constrains("kind", "note")
    def _check_fraud_note(self):
        for flag in self:
            if flag.kind == "fraud" and not (flag.note or "").strip():
                raise ValidationError(self.env._("A fraud flag needs a note with the evidence."))

    @api.model_create_multi
    def create(self, vals_list):
        with self._one_flag_per_kind([(vals.get("partner_id"), vals.get("kind")) for vals in vals_list]):
            flags = super().create(vals_list)
            flags.flush_recordset(["partner_id", "kind"])
        flags.partner_id._affinity_refresh_review_state()
        return flags

    def write(self, vals):
        if {"partner_id", "kind"} & set(vals):
            pairs = [
                (vals.get("partner_id", flag.partner_id.id), vals.get("kind", flag.kind)) for flag in self
            ]
            with self._one_flag_per_kind(pairs):
                result = super().write(vals)
                self.flush_recordset(["partner_id", "kind"])
        else:
            result = super().write(vals)
        if {"state", "active", "kind"} & set(vals):
            self.partner_id._affinity_refresh_review_state()
        return result

    @contextlib.contextmanager
    def _one_flag_per_kind(self, pairs):
        """The SQL constraint is the one rule; a person who breaks it is told which flag to reopen."""
        try:
            with self.env.cr.savepoint():
                yield
        except psycopg2.errors.UniqueViolation:
            kinds = dict(self._fields["kind"]._description_selection(self.env))
            partner_id, kind = next(
                (
                    (partner_id, kind)
                    for partner_id, kind in pairs
                    if self.with_context(active_test=False).search_count(
                        [("partner_id", "=", partner_id), ("kind", "=", kind)], limit=1
                    )
                ),
                pairs[0],
            )
            raise ValidationError(
                self.env._(
                    "%(partner)s already carries a '%(kind)s' flag: reopen it instead.",
                    partner=self.env["res.partner"].browse(partner_id).display_name,
                    kind=kinds.get(kind, kind),
                )
            ) from None

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
