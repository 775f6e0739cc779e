# Shared helpers for the make targets. Sourced, not run.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PY=${ODOO_PYTHON:-python3}

say() { printf '%s\n' "$*" >&2; }

require_odoo() {
    if ! "$PY" -c "import odoo.release as r, sys; sys.exit(0 if r.version_info[:2] == (18, 0) else 1)" 2>/dev/null; then
        say "error: Odoo 18.0 is not importable by '$PY' ($PY -c 'import odoo' must work; set ODOO_PYTHON to another interpreter)"
        exit 1
    fi
}

# Core addons live in odoo/addons and, in a source tree, in ../addons beside the odoo package.
odoo_addons_path() {
    "$PY" - "$ROOT" <<'PYEOF'
import os, sys
import odoo
pkg = os.path.dirname(os.path.abspath(odoo.__file__))
paths = [os.path.join(pkg, "addons")]
tree = os.path.join(os.path.dirname(pkg), "addons")
if os.path.isdir(os.path.join(tree, "web")):
    paths.insert(0, tree)
paths.append(sys.argv[1])
print(",".join(paths))
PYEOF
}

ensure_postgres() {
    if pg_isready -q 2>/dev/null; then
        return
    fi
    if [ -d /etc/postgresql ] && command -v pg_ctlcluster >/dev/null; then
        say "PostgreSQL is down: starting the local cluster"
        pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -n 1)" main start
        for _ in $(seq 1 30); do pg_isready -q && return; sleep 1; done
    fi
    say "error: PostgreSQL does not answer (local socket or PGHOST/PGPORT/PGUSER)"
    exit 1
}

ensure_requirements() {
    "$PY" -m pip install --quiet --disable-pip-version-check -r "$ROOT/requirements.txt" >&2
    # OCA addons, pinned: without their dependencies, since Odoo is not on PyPI.
    "$PY" -m pip install --quiet --disable-pip-version-check --no-deps -r "$ROOT/requirements-oca.txt" >&2
}

ensure_chromium() {
    if command -v chromium >/dev/null || command -v chromium-browser >/dev/null || command -v google-chrome >/dev/null; then
        return
    fi
    say "Installing Debian's chromium for the browser tours"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >&2
}

# write_config FILE DB DATA_DIR [HTTP_PORT]
write_config() {
    cat > "$1" <<CONF
[options]
addons_path = $(odoo_addons_path)
db_name = $2
dbfilter = ^$2\$
data_dir = $3
http_port = ${4:-8069}
http_interface = 127.0.0.1
list_db = False
without_demo = all
max_cron_threads = ${5:-0}
CONF
}

odoo() {
    "$PY" -m odoo "$@"
}

# checklog NAME LOGFILE: an unexpected WARNING, ERROR or CRITICAL line fails the run (as OCA's checklog).
checklog() {
    local bad
    bad=$(grep -E '^[0-9-]+ [0-9:,]+ [0-9]+ (WARNING|ERROR|CRITICAL) ' "$2" | grep -v -F -f "$ROOT/.ci/checklog-ignore" || true)
    if [ -n "$bad" ]; then
        say "error: $1 logged unexpected warnings or errors:"
        say "$bad"
        exit 1
    fi
    say "$1: clean log"
}

db_exists() {
    [ "$(psql -d postgres -Atc "SELECT 1 FROM pg_database WHERE datname = '$1'")" = "1" ]
}
