#!/usr/bin/env bash
# make demo: create (once) and serve crm_affinity_demo with the small seeded dataset on localhost:8069.
source "$(dirname "$0")/lib.sh"

require_odoo
ensure_postgres
"$PY" -m pip install --quiet --disable-pip-version-check xlsxwriter openpyxl phonenumbers >&2

DB=crm_affinity_demo
STATE="$ROOT/.demo"
mkdir -p "$STATE"
CONF="$STATE/odoo.conf"
write_config "$CONF" "$DB" "$STATE/data" 8069 1

if ! db_exists "$DB" || [ "$(psql -d "$DB" -Atc "SELECT state FROM ir_module_module WHERE name = 'crm_affinity'" 2>/dev/null)" != "installed" ]; then
    say "== creating $DB with crm_affinity (a few minutes)"
    dropdb --if-exists "$DB" >/dev/null 2>&1
    odoo -c "$CONF" -d "$DB" -i crm_affinity --stop-after-init --log-level warn --load-language=tr_TR
    say "== seeding the small dataset"
    "$PY" "$ROOT/scripts/seed.py" "$CONF" "$DB" small 42 --demo
else
    say "== reusing $DB (bringing crm_affinity up to date)"
    odoo -c "$CONF" -d "$DB" -u crm_affinity --stop-after-init --log-level warn
fi
say "== Odoo on http://localhost:8069 (login admin / admin); Ctrl-C stops it"
exec "$PY" -m odoo -c "$CONF" -d "$DB"
