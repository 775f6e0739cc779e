from odoo.tools.sql import drop_index

from .models.affinity_followup_rule import DELIVERY_INDEX


def uninstall_hook(env):
    """The delivery table keeps no trace of the planner's index."""
    drop_index(env.cr, DELIVERY_INDEX, "stock_picking")
