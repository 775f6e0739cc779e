"""The measures a manager reads, each defined once: the reports compute a line with them, and the pivots, the
graphs, the dashboard and the workbooks compute a total or a subtotal with them. The formulas are listed in
``readme/USAGE.md`` (*Measures*).

A ratio is always computed from sums: a line's from its own figures, a total's from the sums of its lines'
figures (spend summed over new customers summed), never as an average of the lines' ratios.
"""

from typing import NamedTuple

from odoo.tools import SQL


def gross_margin(revenue, product_cost):
    """Gross margin: revenue minus the cost of the products sold."""
    return revenue - product_cost


class Ratio(NamedTuple):
    """``factor × (Σ sign × numerator figure) / denominator figure``; 0 (or no value in SQL) when the
    denominator is 0."""

    numerator: tuple[tuple[str, int], ...]
    denominator: str
    factor: float = 1.0

    @property
    def figures(self):
        """The figures it is computed from, each summed for a total."""
        return [name for name, _sign in self.numerator] + [self.denominator]

    def renamed(self, **names):
        """The same ratio over a model whose figures bear other names (``new_customers="customers"``)."""
        return Ratio(
            tuple((names.get(name, name), sign) for name, sign in self.numerator),
            names.get(self.denominator, self.denominator),
            self.factor,
        )

    def value(self, figures):
        """The ratio of a mapping of figures (a line's values, or the sums of several lines')."""
        denominator = figures[self.denominator]
        if not denominator:
            return 0.0
        numerator = sum(sign * figures[name] for name, sign in self.numerator)
        return self.factor * numerator / denominator

    def sql(self, column):
        """The ratio in SQL; ``column(name)`` gives the SQL of a figure (a column, or its SUM)."""
        numerator = SQL(" + ").join(SQL("%s * %s", sign, column(name)) for name, sign in self.numerator)
        return SQL("(%s::float8 * (%s) / NULLIF(%s, 0))", self.factor, numerator, column(self.denominator))


# Customer acquisition cost: marketing spend / new customers.
CAC = Ratio((("spend", 1),), "new_customers")
# Return on investment, in per cent: (gross margin − spend) / spend.
ROI = Ratio((("margin", 1), ("spend", -1)), "spend", 100.0)
# Revenue return, in per cent: (revenue − spend) / spend. Not ROI: it counts revenue before product costs.
REVENUE_RETURN = Ratio((("revenue", 1), ("spend", -1)), "spend", 100.0)
# Conversion, in per cent: won opportunities / leads.
CONVERSION = Ratio((("won", 1),), "leads", 100.0)
# Per new customer: revenue, and the revenue of a customer's first 12 months.
REVENUE_PER_CUSTOMER = Ratio((("revenue", 1),), "new_customers")
VALUE_12M_PER_CUSTOMER = Ratio((("value_12m", 1),), "new_customers")
# Repeat buyers, in per cent: new customers with two orders or more / new customers.
REPEAT_SHARE = Ratio((("repeat_buyers", 1),), "new_customers", 100.0)
# Days from first contact to first purchase, averaged over the customers who bought.
DAYS_TO_PURCHASE = Ratio((("purchase_days", 1),), "purchasers")


def ratio_select(model, ratios, aggregate_spec, query):
    """The SQL of a read_group aggregate of a ratio field: the ratio of its figures' sums (None otherwise).

    For ``_read_group_select`` overrides: the pivot and graph views, a list's group rows and the spreadsheet
    dashboard read a ratio field with its aggregator (``sum`` or ``avg``); both mean its ratio of sums."""
    name, _sep, func = aggregate_spec.partition(":")
    ratio = ratios.get(name)
    if ratio is None or func not in ("sum", "avg"):
        return None
    return ratio.sql(lambda figure: SQL("SUM(%s)", model._field_to_sql(model._table, figure, query)))
