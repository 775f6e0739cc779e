"""Sale orders, their lines and the invoices that follow."""

import datetime


class SalesMixin:
    """Sale orders, their lines and the invoices that follow."""

    # ------------------------------------------------------------------
    # sales and invoices
    # ------------------------------------------------------------------

    def make_sales(self):
        rng = self.rng
        orders, lines = [], []
        order_specs = []
        for customer in self.customers:
            source = self.sources[customer["source"]]
            if customer["loyal"]:
                count = rng.randint(5, 15)
            elif customer["one_off"]:
                count = 1
            else:
                count = rng.randint(2, 5)
            count = max(1, round(count * source["freq"]))
            days = sorted(self.random_date(customer["acquired"], self.today) for _ in range(count - 1))
            for position, day in enumerate([customer["acquired"], *days]):
                order_specs.append((customer, source, day, position == 0))
        order_ids = self.reserve_ids("sale_order", len(order_specs))
        invoice_specs = []
        for order_id, (customer, source, day, first) in zip(order_ids, order_specs, strict=True):
            state = "sale"
            roll = rng.random()
            if roll < 0.03:
                state = "cancel"
            elif roll < 0.08 and day > self.today - datetime.timedelta(days=60):
                state = "draft"
            ordered = self.random_datetime(day)
            if state == "sale" and ordered > customer["last"]:
                customer["last"] = ordered
            total = 0.0
            order_lines = []
            for _n in range(rng.choices([1, 2, 3, 4, 5], weights=[20, 25, 25, 18, 12])[0]):
                product_id, uom_id, name, price = rng.choice(self.products)
                qty = rng.choices([1, 2, 3, 5], weights=[60, 25, 10, 5])[0] * source["basket"]
                qty = max(1, round(qty))
                if customer["deal_seeker"] and rng.random() < 0.8:
                    discount = rng.choice([20.0, 25.0, 30.0, 40.0])
                elif rng.random() < 0.1:
                    discount = rng.choice([5.0, 10.0])
                else:
                    discount = 0.0
                subtotal = round(qty * price * (1 - discount / 100), 2)
                total += subtotal
                order_lines.append((product_id, uom_id, name, qty, price, discount, subtotal))
            invoiced = state == "sale"
            orders.append(
                (
                    order_id,
                    f"S{order_id:07d}",
                    customer["id"],
                    customer["id"],
                    customer["id"],
                    ordered,
                    state,
                    self.company.id,
                    self.currency,
                    self.pricelist,
                    "direct",
                    self.warehouse,
                    customer["salesperson"],
                    self.team,
                    round(total, 2),
                    0.0,
                    round(total, 2),
                    "invoiced" if invoiced else "no",
                    source["source"] if first else None,
                    source["medium"] if first else None,
                    self.campaign_for(source, day) if first else None,
                    customer["lead_id"] if first else None,
                    ordered,
                    ordered,
                    1,
                    1,
                    1.0,
                    False,
                    False,
                    True,
                )
            )
            for sequence, (product_id, uom_id, name, qty, price, discount, subtotal) in enumerate(
                order_lines
            ):
                lines.append(
                    (
                        order_id,
                        10 + sequence,
                        self.company.id,
                        self.currency,
                        customer["id"],
                        customer["salesperson"],
                        product_id,
                        uom_id,
                        state,
                        name,
                        qty,
                        price,
                        discount,
                        subtotal,
                        subtotal,
                        round(price * (1 - discount / 100), 2),
                        round(price * (1 - discount / 100), 2),
                        qty if invoiced else 0,
                        qty if invoiced else 0,
                        0,
                        "invoiced" if invoiced else "no",
                        0.0,
                        price,
                        "stock_move" if self.has_stock else "manual",
                        False,
                        False,
                        ordered,
                        ordered,
                        1,
                        1,
                        0.0,
                        self.warehouse,
                    )
                )
            if invoiced:
                invoice_specs.append((order_id, customer, ordered.date(), round(total, 2)))
        self.bulk_copy(
            "sale_order",
            [
                "id",
                "name",
                "partner_id",
                "partner_invoice_id",
                "partner_shipping_id",
                "date_order",
                "state",
                "company_id",
                "currency_id",
                "pricelist_id",
                "picking_policy",
                "warehouse_id",
                "user_id",
                "team_id",
                "amount_untaxed",
                "amount_tax",
                "amount_total",
                "invoice_status",
                "source_id",
                "medium_id",
                "campaign_id",
                "opportunity_id",
                "create_date",
                "write_date",
                "create_uid",
                "write_uid",
                "currency_rate",
                "require_signature",
                "require_payment",
                "locked",
            ],
            orders,
        )
        self.bulk_copy(
            "sale_order_line",
            [
                "order_id",
                "sequence",
                "company_id",
                "currency_id",
                "order_partner_id",
                "salesman_id",
                "product_id",
                "product_uom",
                "state",
                "name",
                "product_uom_qty",
                "price_unit",
                "discount",
                "price_subtotal",
                "price_total",
                "price_reduce_taxexcl",
                "price_reduce_taxinc",
                "qty_delivered",
                "qty_invoiced",
                "qty_to_invoice",
                "invoice_status",
                "price_tax",
                "technical_price_unit",
                "qty_delivered_method",
                "is_downpayment",
                "is_expense",
                "create_date",
                "write_date",
                "create_uid",
                "write_uid",
                "customer_lead",
                "warehouse_id",
            ],
            lines,
        )
        self.make_invoices(invoice_specs)

    def make_invoices(self, invoice_specs):
        rng = self.rng
        move_ids = self.reserve_ids("account_move", len(invoice_specs))
        moves, move_lines = [], []
        sequence_by_year = {}
        for move_id, (order_id, customer, day, total) in zip(move_ids, invoice_specs, strict=True):
            invoice_date = day + datetime.timedelta(days=rng.randint(0, 3))
            due = invoice_date + datetime.timedelta(days=30)
            if customer["late_payer"] and rng.random() < 0.8:
                paid = due + datetime.timedelta(days=rng.randint(5, 60))
            elif rng.random() < 0.1:
                paid = due + datetime.timedelta(days=rng.randint(1, 10))
            else:
                paid = invoice_date + datetime.timedelta(days=rng.randint(0, 30))
            is_paid = paid <= self.today
            number = sequence_by_year[invoice_date.year] = sequence_by_year.get(invoice_date.year, 0) + 1
            prefix = f"{self.journal_code}/{invoice_date.year}/"
            name = f"{prefix}{number:06d}"
            residual = 0.0 if is_paid else total
            moves.append(
                (
                    move_id,
                    name,
                    prefix,
                    number,
                    self.journal,
                    self.company.id,
                    customer["id"],
                    customer["id"],
                    customer["id"],
                    self.currency,
                    "posted",
                    "out_invoice",
                    "no",
                    "paid" if is_paid else "not_paid",
                    invoice_date,
                    invoice_date,
                    due,
                    total,
                    0.0,
                    total,
                    residual,
                    total,
                    total,
                    residual,
                    total,
                    f"S{order_id:07d}",
                    paid if is_paid else None,
                    customer["name"],
                    customer["salesperson"],
                    self.team,
                    True,
                    False,
                    1.0,
                    self.now,
                    self.now,
                    1,
                    1,
                )
            )
            move_lines.append(
                (
                    move_id,
                    self.journal,
                    self.company.id,
                    self.currency,
                    self.currency,
                    self.receivable,
                    customer["id"],
                    name,
                    "posted",
                    "payment_term",
                    invoice_date,
                    invoice_date,
                    due,
                    total,
                    0.0,
                    total,
                    total,
                    residual,
                    residual,
                    1.0,
                    0.0,
                    is_paid,
                    "",
                    10,
                    self.now,
                    self.now,
                    1,
                    1,
                )
            )
            move_lines.append(
                (
                    move_id,
                    self.journal,
                    self.company.id,
                    self.currency,
                    self.currency,
                    self.income,
                    customer["id"],
                    name,
                    "posted",
                    "product",
                    invoice_date,
                    invoice_date,
                    None,
                    0.0,
                    total,
                    -total,
                    -total,
                    0.0,
                    0.0,
                    1.0,
                    total,
                    False,
                    f"S{order_id:07d}",
                    20,
                    self.now,
                    self.now,
                    1,
                    1,
                )
            )
        self.bulk_copy(
            "account_move",
            [
                "id",
                "name",
                "sequence_prefix",
                "sequence_number",
                "journal_id",
                "company_id",
                "partner_id",
                "commercial_partner_id",
                "partner_shipping_id",
                "currency_id",
                "state",
                "move_type",
                "auto_post",
                "payment_state",
                "date",
                "invoice_date",
                "invoice_date_due",
                "amount_untaxed",
                "amount_tax",
                "amount_total",
                "amount_residual",
                "amount_untaxed_signed",
                "amount_total_signed",
                "amount_residual_signed",
                "amount_total_in_currency_signed",
                "invoice_origin",
                "affinity_paid_date",
                "invoice_partner_display_name",
                "invoice_user_id",
                "team_id",
                "posted_before",
                "is_storno",
                "invoice_currency_rate",
                "create_date",
                "write_date",
                "create_uid",
                "write_uid",
            ],
            moves,
        )
        self.bulk_copy(
            "account_move_line",
            [
                "move_id",
                "journal_id",
                "company_id",
                "currency_id",
                "company_currency_id",
                "account_id",
                "partner_id",
                "move_name",
                "parent_state",
                "display_type",
                "date",
                "invoice_date",
                "date_maturity",
                "debit",
                "credit",
                "balance",
                "amount_currency",
                "amount_residual",
                "amount_residual_currency",
                "quantity",
                "price_unit",
                "reconciled",
                "name",
                "sequence",
                "create_date",
                "write_date",
                "create_uid",
                "write_uid",
            ],
            move_lines,
        )
