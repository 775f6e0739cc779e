from odoo.tools.sql import drop_index

from .models.affinity_customer_value import SOURCES_PARAM
from .models.affinity_followup_rule import PLANNER_INDEXES
from .models.affinity_reachability import EPOCH_PARAM
from .models.affinity_reachability_learner import WATERMARK_PARAM
from .models.mailing_trace import PRESSURE_INDEXES
from .models.res_partner_consent import ADDRESS_INDEXES


def post_init_hook(env):
    """Companies already Turkish when the addon arrives start with the KVKK defaults."""
    env["res.company"].search([])._affinity_turkish_defaults()


def uninstall_hook(env):
    """Core tables keep no trace of this addon's planner, contact-budget and address indexes, nor of the value
    engine's note of its last run, nor of the reachability learner's epoch and watermark."""
    for name, table, _column, _where in PLANNER_INDEXES + PRESSURE_INDEXES + ADDRESS_INDEXES:
        drop_index(env.cr, name, table)
    env["ir.config_parameter"].sudo().search(
        [("key", "in", (SOURCES_PARAM, EPOCH_PARAM, WATERMARK_PARAM))]
    ).unlink()
