"""Uninstall crm_affinity from a database, logging to a file, and check nothing of it is left."""

import sys

import odoo
from odoo.tools import config

conf, db, logfile = sys.argv[1:4]
config.parse_config(["-c", conf, "-d", db, "--logfile", logfile, "--log-level", "info"])
registry = odoo.modules.registry.Registry.new(db)
with registry.cursor() as cr:
    env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
    module = env["ir.module.module"].search([("name", "=", "crm_affinity")])
    module.button_immediate_uninstall()
with odoo.modules.registry.Registry.new(db).cursor() as cr:
    cr.execute("SELECT count(*) FROM ir_model WHERE model LIKE 'affinity.%%'")
    left = cr.fetchone()[0]
    cr.execute("SELECT state FROM ir_module_module WHERE name = 'crm_affinity'")
    state = cr.fetchone()[0]
    cr.execute("SELECT count(*) FROM pg_indexes WHERE indexname LIKE '%%affinity%%'")
    left += cr.fetchone()[0]
if left or state != "uninstalled":
    sys.exit(f"error: uninstall left {left} affinity model(s) or index(es), module state {state}")
