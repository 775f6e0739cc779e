"""After an upgrade from the previous release: what the migration scripts promise holds."""

import sys

import odoo
from odoo.tools import config

conf, db = sys.argv[1:3]
config.parse_config(["-c", conf, "-d", db, "--log-level", "warn"])
with odoo.modules.registry.Registry.new(db).cursor() as cr:
    env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
    problems = []
    cron = env.ref("crm_affinity.ir_cron_affinity_value")
    if (cron.model_id.model, cron.code) != ("affinity.customer.value", "model._cron_recompute()"):
        problems.append(f"value cron still calls {cron.model_id.model}: {cron.code}")
    cr.execute("SELECT 1 FROM pg_constraint WHERE conname = 'affinity_review_flag_partner_kind_uniq'")
    if not cr.fetchone():
        problems.append("review flags have no one-per-kind constraint")
    bridge = env["ir.module.module"].search([("name", "=", "crm_affinity_stock")])
    if bridge.state != "installed":
        problems.append(f"Inventory is installed but the crm_affinity_stock bridge is {bridge.state}")
    rule = env.ref("crm_affinity_stock.followup_rule_post_sale_checkin", raise_if_not_found=False)
    if not rule or not rule.active or rule.trigger != "sale_delivered":
        problems.append("the delivery check-in rule did not move to crm_affinity_stock")
    call = env.ref("mail.mail_activity_data_call")
    if call.affinity_channel_id != env.ref("crm_affinity.affinity_channel_phone"):
        problems.append("a call activity does not reach the customer by phone")
    marketing = env.ref("crm_affinity.affinity_purpose_marketing")
    if not (marketing.pressure and marketing.self_service):
        problems.append(
            "marketing is not offered in the preference centre or does not count against the budget"
        )
    if env.ref("crm_affinity.affinity_channel_visit").self_service:
        problems.append("visits are offered in the preference centre")
if problems:
    sys.exit("error: upgrade from the previous release: " + "; ".join(problems))
print(
    "upgrade from the previous release: cron, constraint, moved rule, activity channels, preference centre "
    "and contact budget as promised"
)
