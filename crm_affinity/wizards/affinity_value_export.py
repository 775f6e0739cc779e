from odoo import fields, models

from ..tools.xlsx import XLSX_MIMETYPE, Workbook, download_action


class AffinityValueExport(models.TransientModel):
    """Customer value as a workbook: segments with a chart, customers ranked by value, open flags."""

    _name = "affinity.value.export"
    _description = "Affinity Customer Value Export"

    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company)
    computed_at = fields.Datetime(related="company_id.affinity_value_computed_at")

    def action_export_xlsx(self):
        self.ensure_one()
        return download_action(self, self._xlsx(), "customer_value.xlsx", XLSX_MIMETYPE)

    def _customer_domain(self):
        return [("affinity_value_date", "!=", False), ("company_id", "in", [False, self.company_id.id])]

    def _xlsx(self):
        book = Workbook()
        partners = self.env["res.partner"]
        groups = partners._read_group(
            self._customer_domain() + [("affinity_segment_id", "!=", False)],
            ["affinity_segment_id"],
            ["__count", "affinity_rfm_monetary:sum", "affinity_ltv:sum", "affinity_margin_12m:sum"],
        )
        groups.sort(key=lambda group: (group[0].sequence, group[0].id))
        money = book.money
        sheet_name = self.env._("Segments")
        sheet = book.table(
            sheet_name,
            [
                self.env._("Segment"),
                self.env._("Customers"),
                self.env._("Revenue (all time)"),
                self.env._("Lifetime value"),
                self.env._("Margin after service cost"),
            ],
            [(segment.name, count, revenue, ltv, margin) for segment, count, revenue, ltv, margin in groups],
            {2: money, 3: money, 4: money},
        )
        if groups:
            chart = book.book.add_chart({"type": "bar"})
            for column, title in ((1, self.env._("Customers")), (3, self.env._("Lifetime value"))):
                chart.add_series(
                    {
                        "name": title,
                        "categories": [sheet_name, 1, 0, len(groups), 0],
                        "values": [sheet_name, 1, column, len(groups), column],
                        "y2_axis": column == 3,
                    }
                )
            chart.set_title({"name": self.env._("Customers and value by segment")})
            sheet.insert_chart(1, 6, chart)
        customers = partners.search_read(
            self._customer_domain(),
            [
                "name",
                "affinity_segment_id",
                "affinity_rfm_score",
                "affinity_rfm_recency",
                "affinity_rfm_frequency",
                "affinity_rfm_monetary",
                "affinity_revenue_12m",
                "affinity_product_cost_12m",
                "affinity_cost_to_serve",
                "affinity_margin_12m",
                "affinity_ltv",
                "affinity_value_rank",
                "affinity_margin_rank",
                "affinity_vip",
                "affinity_to_review",
            ],
            order="affinity_value_rank, id",
        )
        book.table(
            self.env._("Customers by value"),
            [
                self.env._("Value rank"),
                self.env._("Customer"),
                self.env._("Segment"),
                self.env._("RFM"),
                self.env._("Recency (days)"),
                self.env._("Purchases"),
                self.env._("Revenue (all time)"),
                self.env._("Revenue (window)"),
                self.env._("Product cost"),
                self.env._("Cost to serve"),
                self.env._("Margin after service cost"),
                self.env._("Lifetime value"),
                self.env._("Profitability rank"),
                self.env._("VIP"),
                self.env._("To review"),
            ],
            [
                (
                    row["affinity_value_rank"] or None,
                    row["name"],
                    row["affinity_segment_id"][1] if row["affinity_segment_id"] else "",
                    row["affinity_rfm_score"] or "",
                    row["affinity_rfm_recency"],
                    row["affinity_rfm_frequency"],
                    row["affinity_rfm_monetary"],
                    row["affinity_revenue_12m"],
                    row["affinity_product_cost_12m"],
                    row["affinity_cost_to_serve"],
                    row["affinity_margin_12m"],
                    row["affinity_ltv"],
                    row["affinity_margin_rank"] or None,
                    row["affinity_vip"],
                    row["affinity_to_review"],
                )
                for row in customers
            ],
            {6: money, 7: money, 8: money, 9: money, 10: money, 11: money},
        )
        flag_model = self.env["affinity.review.flag"]
        kinds = dict(flag_model._fields["kind"]._description_selection(self.env))
        states = dict(flag_model._fields["state"]._description_selection(self.env))
        flags = flag_model.search([("company_id", "=", self.company_id.id)], order="partner_id, kind")
        book.table(
            self.env._("Review flags"),
            [self.env._("Customer"), self.env._("Flag"), self.env._("Evidence"), self.env._("State")],
            [
                (flag.partner_id.name, kinds[flag.kind], flag.evidence or "", states[flag.state])
                for flag in flags
            ],
        )
        return book.close()
