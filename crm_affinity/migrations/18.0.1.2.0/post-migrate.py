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
    # The preference centre offers what people may choose themselves: not visits, not service messages.
    visit = env.ref("crm_affinity.affinity_channel_visit", raise_if_not_found=False)
    if visit:
        visit.self_service = False
    for xmlid, description in (
        ("affinity_purpose_marketing", "News, offers and campaigns about our products and services."),
        (
            "affinity_purpose_relationship",
            "Greetings on your birthday, on holidays and on the days that matter to you.",
        ),
    ):
        purpose = env.ref(f"crm_affinity.{xmlid}", raise_if_not_found=False)
        if purpose:
            purpose.write({"self_service": True, "description": description})
