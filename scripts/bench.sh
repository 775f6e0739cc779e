#!/usr/bin/env bash
# make bench: build (once) the 10 000- and 100 000-customer databases, then time every heavy path against
# its raw-SQL floor in one run. Results: bench/results/latest.{json,md} and a dated JSON beside them.
source "$(dirname "$0")/lib.sh"

require_odoo
ensure_requirements
ensure_postgres

REPS=${BENCH_REPS:-5}
STATE="$ROOT/.bench"
mkdir -p "$STATE"
targets=()
for size in medium large; do
    DB="crm_affinity_bench_$size"
    CONF="$STATE/$size.conf"
    write_config "$CONF" "$DB" "$STATE/data"
    ready=$(psql -d "$DB" -Atc "SELECT value FROM ir_config_parameter WHERE key = 'crm_affinity.bench_seeded'" \
        2>/dev/null || true)
    if [ "$ready" != "$size" ]; then
        say "== building $DB (install, then the seeded '$size' dataset; minutes)"
        dropdb --if-exists "$DB" >/dev/null 2>&1
        odoo -c "$CONF" -d "$DB" -i crm_affinity,crm_affinity_stock --stop-after-init --log-level warn
        "$PY" "$ROOT/scripts/seed.py" "$CONF" "$DB" "$size" 42
        psql -q -d "$DB" -c "INSERT INTO ir_config_parameter (key, value) VALUES ('crm_affinity.bench_seeded', '$size')"
        psql -q -d "$DB" -c "VACUUM ANALYZE"
    else
        say "== reusing $DB (bringing crm_affinity up to date)"
        odoo -c "$CONF" -d "$DB" -u crm_affinity,crm_affinity_stock --stop-after-init --log-level warn
    fi
    targets+=("$size=$CONF=$DB")
done
say "== measuring ($REPS repetitions per path, each rolled back)"
"$PY" "$ROOT/scripts/bench.py" "$ROOT/bench/results" "$REPS" "${targets[@]}"

# The capture door under a burst: a server with two workers, 2 000 posts from 50 loopback addresses.
BURST_DB=crm_affinity_bench_burst
write_config "$STATE/burst.conf" "$BURST_DB" "$STATE/data" 8090
if ! db_exists "$BURST_DB"; then
    say "== building $BURST_DB (install only)"
    odoo -c "$STATE/burst.conf" -d "$BURST_DB" -i crm_affinity --stop-after-init --log-level warn
else
    odoo -c "$STATE/burst.conf" -d "$BURST_DB" -u crm_affinity --stop-after-init --log-level warn
fi
psql -q -d "$BURST_DB" -c "UPDATE res_partner SET country_id = (SELECT id FROM res_country WHERE code = 'TR') WHERE id IN (SELECT partner_id FROM res_company)"
psql -q -d "$BURST_DB" -c "DELETE FROM sms_sms"
say "== capture burst (--workers 2)"
"$PY" "$ROOT/scripts/bench_burst.py" "$STATE/burst.conf" "$BURST_DB" 8090 "$ROOT/bench/results"

# Learned reachability (#31): the evaluation on simulated populations, then 100 000 customers and three years
# of traces (written in SQL on first use) learned from nothing and after a day.
REACH_DB=crm_affinity_bench_reach
write_config "$STATE/reach.conf" "$REACH_DB" "$STATE/data"
if ! db_exists "$REACH_DB"; then
    say "== building $REACH_DB (install only; the traces are written by bench_reach.py)"
    odoo -c "$STATE/reach.conf" -d "$REACH_DB" -i crm_affinity --stop-after-init --log-level warn
else
    odoo -c "$STATE/reach.conf" -d "$REACH_DB" -u crm_affinity --stop-after-init --log-level warn
fi
say "== reachability: evaluation and learning speed"
"$PY" "$ROOT/scripts/bench_reach.py" "$ROOT/bench/results" "$STATE/reach.conf" "$REACH_DB"

# Journeys (crm_affinity_automation on OCA's automation_oca): plan and run a day's due steps with and without
# the consent gate (thousands: automation_oca enters and runs one record at a time), and the gate alone for
# 100 000 due steps.
JOURNEYS_DB=crm_affinity_bench_journeys
write_config "$STATE/journeys.conf" "$JOURNEYS_DB" "$STATE/data"
if ! db_exists "$JOURNEYS_DB"; then
    say "== building $JOURNEYS_DB (install crm_affinity_automation; the script seeds its customers once)"
    odoo -c "$STATE/journeys.conf" -d "$JOURNEYS_DB" -i crm_affinity_automation --stop-after-init --log-level warn
else
    odoo -c "$STATE/journeys.conf" -d "$JOURNEYS_DB" -u crm_affinity_automation --stop-after-init --log-level warn
fi
say "== journeys: plan ${JOURNEYS_PLAN:-5000}, run ${JOURNEYS_RUN:-1000}, gate ${JOURNEYS_GATE:-100000}"
BENCH_REPS=${JOURNEYS_REPS:-1} "$PY" "$ROOT/scripts/bench_journeys.py" "$STATE/journeys.conf" "$JOURNEYS_DB" \
    "$ROOT/bench/results" "${JOURNEYS_PLAN:-5000}" "${JOURNEYS_RUN:-1000}" "${JOURNEYS_GATE:-100000}"
