"""Seed a database with the deterministic dataset: python3 scripts/seed.py CONF DB small|large [seed]."""

import logging
import sys
import time

import odoo
from odoo.tools import config

DEMO_LOGINS = ["ayse.satis", "mehmet.satis", "elif.satis", "john.sales"]
DEMO_PASSWORD = "affinity-demo"

conf, db, size = sys.argv[1:4]
seed = int(sys.argv[4]) if len(sys.argv) > 4 and sys.argv[4].isdigit() else 42
# The demo company becomes a Turkish one (lira, IYS rules); benchmark databases keep their company as is.
setup_company = "--demo" in sys.argv
config.parse_config(["-c", conf, "-d", db, "--log-level", "warn"])
logging.getLogger("odoo.addons.crm_affinity").setLevel(logging.INFO)
registry = odoo.modules.registry.Registry.new(db)
started = time.monotonic()
with registry.cursor() as cr:
    env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
    from odoo.addons.crm_affinity.populate.generator import generate

    counts = generate(env, size=size, seed=seed, setup_company=setup_company)
    if setup_company:
        # The demo opens on valued customers and this week's follow-ups, as the nightly jobs would leave them.
        env["affinity.customer.value"]._recompute()
        env["affinity.followup.rule"]._cron_plan()
        # The seeded salespeople can log in to the demo (never a password of a real database). Set as a hash:
        # writing the password would mail each of them a security notice, queued to an invented address.
        for user in env["res.users"].search([("login", "in", DEMO_LOGINS)]):
            user._set_encrypted_password(user.id, user._crypt_context().hash(DEMO_PASSWORD))
print(f"seeded {db} ({size}, seed {seed}) in {time.monotonic() - started:.1f} s: {counts}")
