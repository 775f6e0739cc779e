#!/usr/bin/env bash
# make test: the addon's own suite (scripts/test.sh), then Odoo's crm, mass_mailing, mass_mailing_sms and
# sale_crm suites with the addon installed (scripts/test_core.sh); one closing line counts both.
source "$(dirname "$0")/lib.sh"

OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
bash "$ROOT/scripts/test.sh" "$@" | tee "$OUT/addon.txt"
CORE_RESULT_FILE="$OUT/core.txt" bash "$ROOT/scripts/test_core.sh"
addon=$(grep -Eo '[0-9]+ passed' "$OUT/addon.txt" | tail -n 1 | grep -Eo '[0-9]+')
core=$(grep -Eo '^[0-9]+ passed' "$OUT/core.txt" | grep -Eo '[0-9]+')
say "crm_affinity and its bridges (with automation_oca's Python suite): $addon passed; Odoo's crm, mass_mailing, mass_mailing_sms, sale_crm and automation_oca's unit suite: $core passed"
echo "total: $((addon + core)) passed, 0 failed"
