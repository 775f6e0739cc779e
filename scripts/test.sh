#!/usr/bin/env bash
# make test: throwaway databases: clean install (without Inventory, then with the crm_affinity_stock bridge),
# upgrade, upgrade from the previous release, uninstall, then both addons' suites with pytest-odoo.
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
    dropdb --if-exists "${DB}_previous" >/dev/null 2>&1 || true
    rm -rf "$WORK"
}
trap cleanup EXIT

# The last commit of the previous release (version 18.0.1.1.0): its database is upgraded to this one.
PREVIOUS_RELEASE=9defb29

say "== install crm_affinity into $DB (Inventory stays out)"
odoo -c "$CONF" -d "$DB" -i crm_affinity --stop-after-init --logfile "$WORK/install.log" --log-level info
checklog install "$WORK/install.log"
installed=$(psql -d "$DB" -Atc "SELECT string_agg(name, ',') FROM ir_module_module
                                 WHERE name IN ('stock', 'sale_stock', 'crm_affinity_stock') AND state = 'installed'")
if [ -n "$installed" ]; then
    say "error: installing crm_affinity also installed $installed: Inventory must stay optional"
    exit 1
fi

say "== install the bridges: Inventory (crm_affinity_stock, with sale_stock), Dashboards and Journeys (with automation_oca)"
odoo -c "$CONF" -d "$DB" -i crm_affinity_stock,spreadsheet_dashboard_crm_affinity,crm_affinity_automation --stop-after-init \
    --logfile "$WORK/bridge.log" --log-level info
checklog bridges "$WORK/bridge.log"

say "== upgrade (-u) crm_affinity and its bridges"
odoo -c "$CONF" -d "$DB" -u crm_affinity,crm_affinity_stock,spreadsheet_dashboard_crm_affinity,crm_affinity_automation \
    --stop-after-init \
    --logfile "$WORK/upgrade.log" --log-level info
checklog upgrade "$WORK/upgrade.log"

say "== upgrade from the previous release ($PREVIOUS_RELEASE) to this one"
mkdir -p "$WORK/previous"
git -C "$ROOT" archive "$PREVIOUS_RELEASE" crm_affinity | tar -x -C "$WORK/previous"
sed "s#,$ROOT\$#,$WORK/previous#" "$CONF" > "$WORK/previous.conf"
odoo -c "$WORK/previous.conf" -d "${DB}_previous" -i crm_affinity,sale_stock --stop-after-init \
    --logfile "$WORK/previous.log" --log-level warn
odoo -c "$CONF" -d "${DB}_previous" -u crm_affinity --stop-after-init --logfile "$WORK/migrate.log" --log-level info
checklog "upgrade from $PREVIOUS_RELEASE" "$WORK/migrate.log"
"$PY" "$ROOT/scripts/check_migration.py" "$CONF" "${DB}_previous"
dropdb "${DB}_previous"

say "== uninstall crm_affinity (on a copy)"
createdb -T "$DB" "${DB}_uninstall"
if [ -d "$WORK/data/filestore/$DB" ]; then
    cp -r "$WORK/data/filestore/$DB" "$WORK/data/filestore/${DB}_uninstall"
fi
"$PY" "$ROOT/scripts/uninstall.py" "$CONF" "${DB}_uninstall" "$WORK/uninstall.log"
checklog uninstall "$WORK/uninstall.log"
dropdb "${DB}_uninstall"

say "== test suite (pytest-odoo), and automation_oca's own suite with the journeys bridge installed"
cd "$ROOT"
# automation_oca comes from PyPI (requirements-oca.txt): its tests run from where pip put them. Its JS unit
# suite (test_js.py) is Odoo's hoot runner, not a pytest suite.
AUTOMATION_OCA_TESTS=$("$PY" -c "import os, odoo.addons.automation_oca as m; print(os.path.join(m.__path__[0], 'tests'))")
"$PY" -m pytest -p no:cacheprovider --odoo-config="$CONF" --odoo-database="$DB" --odoo-http \
    --odoo-log-level=info crm_affinity/tests crm_affinity_stock/tests \
    spreadsheet_dashboard_crm_affinity/tests crm_affinity_automation/tests \
    "$AUTOMATION_OCA_TESTS" --ignore="$AUTOMATION_OCA_TESTS/test_js.py" "$@"
