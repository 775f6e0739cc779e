import datetime

from freezegun import freeze_time

from odoo.addons.crm_affinity.tests.test_followup import FollowupCase
from odoo.tests import tagged
from odoo.tools.sql import index_exists


@tagged("post_install", "-at_install")
class TestDeliveryFollowup(FollowupCase):
    def _deliver(self, when):
        product = self.env["product.product"].create(
            {"name": "Grinder", "list_price": 140, "is_storable": True}
        )
        order = self.env["sale.order"].create(
            {"partner_id": self.partner.id, "order_line": [(0, 0, {"product_id": product.id})]}
        )
        order.action_confirm()
        picking = order.picking_ids
        picking.move_ids.quantity = 1
        picking.move_ids.picked = True
        with freeze_time(when):
            picking.button_validate()
        return order

    def test_sale_delivered_check_in(self):
        rule = self.env.ref("crm_affinity_stock.followup_rule_post_sale_checkin")
        self.partner.user_id = self.user_affinity
        order = self._deliver("2027-04-01 15:00:00")
        self.plan(rule, "2027-04-02")
        followup = self.followups(rule)
        self.assertEqual((followup.due_date, followup.source_ref), (datetime.date(2027, 4, 4), order))
        self.assertEqual(followup.user_id, self.user_affinity)
        self.assertEqual(followup.trigger, "sale_delivered")

    def test_undelivered_order_waits(self):
        rule = self.env.ref("crm_affinity_stock.followup_rule_post_sale_checkin")
        product = self.env["product.product"].create({"name": "Kettle", "is_storable": True})
        order = self.env["sale.order"].create(
            {"partner_id": self.partner.id, "order_line": [(0, 0, {"product_id": product.id})]}
        )
        order.action_confirm()
        self.plan(rule, "2027-04-02")
        self.assertFalse(self.followups(rule), "nothing was delivered: no check-in yet")

    def test_trigger_and_index_come_with_the_bridge(self):
        triggers = dict(self.env["affinity.followup.rule"]._fields["trigger"].selection)
        self.assertIn("sale_delivered", triggers)
        self.assertTrue(self.env["affinity.followup.rule"]._candidates_sale_delivered)
        self.assertTrue(index_exists(self.env.cr, "stock_picking_affinity_date_done_idx"))
