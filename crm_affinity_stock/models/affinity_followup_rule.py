from odoo import fields, models
from odoo.tools import SQL
from odoo.tools.sql import create_index

DELIVERY_INDEX = "stock_picking_affinity_date_done_idx"


class AffinityFollowupRule(models.Model):
    _inherit = "affinity.followup.rule"

    trigger = fields.Selection(
        selection_add=[("sale_delivered", "Sale order delivered")],
        ondelete={"sale_delivered": "cascade"},
    )

    def init(self):
        # The planner reads deliveries by the day they were done; without an index its cost follows the table.
        create_index(self.env.cr, DELIVERY_INDEX, "stock_picking", ["date_done"], where="state = 'done'")

    def _candidates_sale_delivered(self, event_from, event_to, today):
        """Orders whose outgoing delivery was done on an event day: a check-in once it has arrived."""
        return SQL(
            """SELECT so.partner_id, pk.date_done::date AS occurrence, pk.date_done::date + %(offset)s AS due,
                      'sale.order' AS res_model, so.id AS res_id
                 FROM stock_picking pk
                 JOIN stock_picking_type pt ON pt.id = pk.picking_type_id AND pt.code = 'outgoing'
                 JOIN sale_order so ON so.id = pk.sale_id
                WHERE pk.state = 'done' AND pk.date_done >= %(from)s AND pk.date_done < %(to)s::date + 1""",
            offset=self.offset_days,
            **{"from": event_from, "to": event_to},
        )
