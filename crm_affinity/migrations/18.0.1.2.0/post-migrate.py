from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    """The value engine owns its nightly job; delivery check-ins live in the Inventory bridge."""
    env = api.Environment(cr, SUPERUSER_ID, {})
    cron = env.ref("crm_affinity.ir_cron_affinity_value", raise_if_not_found=False)
    if cron:
        # The scheduled action is noupdate data: it is pointed at the engine here.
        cron.write(
            {
                "model_id": env["ir.model"]._get_id("affinity.customer.value"),
                "code": "model._cron_recompute()",
            }
        )
    modules = env["ir.module.module"]
    bridge = modules.search([("name", "=", "crm_affinity_stock"), ("state", "=", "uninstalled")])
    if bridge and modules.search_count([("name", "=", "sale_stock"), ("state", "=", "installed")]):
        # A database with Inventory keeps its delivery check-ins: the bridge is installed in this same run.
        bridge.button_install()
    else:
        # Without Inventory the trigger has no planner any more: its rules rest until the bridge comes.
        env["affinity.followup.rule"].search([("trigger", "=", "sale_delivered")]).active = False
