from odoo.tools.sql import drop_index

from .models.affinity_followup_rule import PLANNER_INDEXES


def uninstall_hook(env):
    """Core tables keep no trace of this addon's planner indexes."""
    for name, table, _column, _where in PLANNER_INDEXES:
        drop_index(env.cr, name, table)
