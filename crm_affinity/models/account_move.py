from odoo import api, fields, models


class AccountMove(models.Model):
    _inherit = "account.move"

    affinity_paid_date = fields.Date(
        string="Paid On",
        compute="_compute_affinity_paid_date",
        store=True,
        help="Day the invoice became fully paid: how late a customer pays is measured with it.",
    )

    @api.depends(
        "payment_state", "line_ids.matched_credit_ids.max_date", "line_ids.matched_debit_ids.max_date"
    )
    def _compute_affinity_paid_date(self):
        for move in self:
            if move.payment_state not in ("paid", "in_payment") or not move.is_invoice(include_receipts=True):
                move.affinity_paid_date = False
                continue
            partials = move.line_ids.matched_credit_ids | move.line_ids.matched_debit_ids
            move.affinity_paid_date = max(partials.mapped("max_date"), default=False) or move.invoice_date
