#!/usr/bin/env bash
# make demo: create (once) and serve crm_affinity_demo with the small seeded dataset on localhost:$PORT
# (8069 unless PORT says otherwise).
source "$(dirname "$0")/lib.sh"

PORT=${PORT:-8069}
# The port is checked before any work: a taken port would otherwise fail only after minutes of install.
if ! "$PY" - "$PORT" <<'PYEOF'
import socket, sys
with socket.socket() as probe:
    probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        probe.bind(("127.0.0.1", int(sys.argv[1])))
    except OSError:
        sys.exit(1)
PYEOF
then
    say "error: port $PORT is already in use on this machine; stop what listens there or choose another: PORT=8070 make demo"
    exit 1
fi
require_odoo
ensure_postgres
ensure_requirements

DB=crm_affinity_demo
STATE="$ROOT/.demo"
mkdir -p "$STATE"
CONF="$STATE/odoo.conf"
write_config "$CONF" "$DB" "$STATE/data" "$PORT" 1

if ! db_exists "$DB" || [ "$(psql -d "$DB" -Atc "SELECT state FROM ir_module_module WHERE name = 'crm_affinity'" 2>/dev/null)" != "installed" ]; then
    say "== creating $DB with crm_affinity and its Inventory, Dashboards and Journeys bridges (a few minutes)"
    dropdb --if-exists "$DB" >/dev/null 2>&1
    odoo -c "$CONF" -d "$DB" -i crm_affinity,crm_affinity_stock,spreadsheet_dashboard_crm_affinity,crm_affinity_automation \
        --stop-after-init --log-level warn --load-language=en_US,tr_TR
    say "== seeding the small dataset"
    "$PY" "$ROOT/scripts/seed.py" "$CONF" "$DB" small 42 --demo
else
    say "== reusing $DB (bringing crm_affinity up to date)"
    odoo -c "$CONF" -d "$DB" -i crm_affinity_stock,spreadsheet_dashboard_crm_affinity,crm_affinity_automation \
        -u crm_affinity,crm_affinity_stock,spreadsheet_dashboard_crm_affinity,crm_affinity_automation \
        --stop-after-init --log-level warn
fi
say "== Odoo on http://localhost:$PORT (admin / admin; salespeople ayse.satis, mehmet.satis, elif.satis, john.sales / affinity-demo); Ctrl-C stops it"
exec "$PY" -m odoo -c "$CONF" -d "$DB"
