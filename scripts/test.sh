#!/usr/bin/env bash
# make test: throwaway database, clean install / upgrade / uninstall, then the whole suite with pytest-odoo.
source "$(dirname "$0")/lib.sh"

require_odoo
ensure_requirements
ensure_chromium
ensure_postgres

DB="crm_affinity_test_$(date +%s)_$$"
WORK=$(mktemp -d)
CONF="$WORK/odoo.conf"
write_config "$CONF" "$DB" "$WORK/data"
cleanup() {
    dropdb --if-exists "$DB" >/dev/null 2>&1 || true
    dropdb --if-exists "${DB}_uninstall" >/dev/null 2>&1 || true
    rm -rf "$WORK"
}
trap cleanup EXIT

say "== install crm_affinity into $DB"
odoo -c "$CONF" -d "$DB" -i crm_affinity --stop-after-init --logfile "$WORK/install.log" --log-level info
checklog install "$WORK/install.log"

say "== upgrade (-u) crm_affinity"
odoo -c "$CONF" -d "$DB" -u crm_affinity --stop-after-init --logfile "$WORK/upgrade.log" --log-level info
checklog upgrade "$WORK/upgrade.log"

say "== uninstall crm_affinity (on a copy)"
createdb -T "$DB" "${DB}_uninstall"
if [ -d "$WORK/data/filestore/$DB" ]; then
    cp -r "$WORK/data/filestore/$DB" "$WORK/data/filestore/${DB}_uninstall"
fi
"$PY" "$ROOT/scripts/uninstall.py" "$CONF" "${DB}_uninstall" "$WORK/uninstall.log"
checklog uninstall "$WORK/uninstall.log"
dropdb "${DB}_uninstall"

say "== test suite (pytest-odoo)"
cd "$ROOT"
"$PY" -m pytest -p no:cacheprovider --odoo-config="$CONF" --odoo-database="$DB" --odoo-http \
    --odoo-log-level=info crm_affinity/tests "$@"
