#!/usr/bin/env bash
# Odoo's own crm, mass_mailing, mass_mailing_sms and sale_crm suites, and automation_oca's browser unit suite, on a
# database with crm_affinity and its journeys bridge installed (demo data on, as those suites expect). Any failure
# or error fails the run.
source "$(dirname "$0")/lib.sh"

require_odoo
ensure_requirements
ensure_chromium
ensure_postgres

DB="crm_affinity_core_$(date +%s)_$$"
WORK=$(mktemp -d)
CONF="$WORK/odoo.conf"
write_config "$CONF" "$DB" "$WORK/data"
sed -i 's/^without_demo = all$/without_demo = False/' "$CONF"
cleanup() {
    dropdb --if-exists "$DB" >/dev/null 2>&1 || true
    rm -rf "$WORK"
}
trap cleanup EXIT

# automation_oca's browser unit tests (its hoot suite) run here, through Odoo's own runner, with the journeys
# bridge installed; its Python suite runs beside ours in scripts/test.sh.
SUITES=${CORE_SUITES:-/crm,/mass_mailing,/mass_mailing_sms,/sale_crm,/automation_oca:TestAutomationOCA}
say "== Odoo's own suites ($SUITES) with crm_affinity installed"
started=$(date +%s)
rc=0
odoo -c "$CONF" -d "$DB" -i crm,sale_crm,mass_mailing,mass_mailing_sms,crm_affinity,crm_affinity_automation \
    --test-tags "$SUITES" --stop-after-init --logfile "$WORK/core.log" --log-level info || rc=$?
result=$(grep -E 'odoo\.tests\.result: [0-9]+ failed, [0-9]+ error\(s\) of [0-9]+ tests' "$WORK/core.log" | tail -n 1 || true)
if [ "$rc" -ne 0 ] || [ -z "$result" ]; then
    say "error: Odoo's suites failed (exit $rc):"
    grep -E ' (ERROR|CRITICAL) |^(FAIL|ERROR): |^AssertionError|^Traceback' "$WORK/core.log" | head -n 60 >&2 || true
    grep -A 25 -E ' ERROR .*(FAIL|ERROR): ' "$WORK/core.log" | head -n 200 >&2 || true
    exit 1
fi
read -r failed errors total < <(sed -E 's/.*: ([0-9]+) failed, ([0-9]+) error\(s\) of ([0-9]+) tests.*/\1 \2 \3/' <<<"$result")
say "core suites: $total tests in $(( $(date +%s) - started )) s"
grep -E 'odoo\.tests\.stats: ' "$WORK/core.log" | sed -E 's/.*odoo\.tests\.stats: /  /' >&2 || true
if [ "$failed" -ne 0 ] || [ "$errors" -ne 0 ] || [ "$total" -eq 0 ]; then
    say "error: $result"
    exit 1
fi
echo "$total passed, 0 failed" > "${CORE_RESULT_FILE:-/dev/null}"
