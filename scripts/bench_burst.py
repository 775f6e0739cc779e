"""make bench: a burst of capture posts against a server with two workers, from 50 loopback addresses.

Usage: bench_burst.py CONF DB PORT RESULTS_DIR

Every post names a new person; each address sends 40, all 2 000 shuffled and sent by 8 concurrent clients (Odoo queues 16 connections for two workers). What is measured: how many the server accepted, refused
(429) or failed (anything else), p50 / p95 latency, that the per-IP limit held across workers (accepted per
address never above the limit), and that every accepted post is in the database (nothing lost).
"""

import concurrent.futures
import http.client
import json
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RUN = str(int(time.time()))
ADDRESSES = 50
POSTS_PER_ADDRESS = 40
CLIENTS = 8
LIMIT_IP = 20


def post(port, source, index):
    body = json.dumps(
        {
            "email": f"burst.{RUN}.{source.replace('.', '-')}.{index}@example.com",
            "phone": f"0532 {index // 100:03d} {index % 100:02d} {source.split('.')[-1][-2:]:0>2}",
            "name": f"Burst {source} {index}",
            "text": "Kampanyalardan SMS ile haberdar olmak istiyorum.",
            "consents": [{"channel": "sms", "purpose": "marketing", "state": "granted"}],
        }
    )
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60, source_address=(source, 0))
    started = time.perf_counter()
    try:
        connection.request("POST", "/affinity/consent/capture", body, {"Content-Type": "application/json"})
        response = connection.getresponse()
        response.read()
        status = response.status
    except OSError:
        status = 0
    finally:
        connection.close()
    return status, time.perf_counter() - started, json.loads(body)["email"]


def sender(port, task):
    source, index = task
    return (source, *post(port, source, index))


def wait_for(port, seconds=120):
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/web/health")
            if connection.getresponse().status == 200:
                return
        except OSError:
            time.sleep(1)
    raise SystemExit("the server did not start")


def main(conf, db, port, results_dir):
    port = int(port)
    psql = ["psql", "-q", "-At", "-d", db, "-c"]
    subprocess.run(
        [
            *psql,
            "DELETE FROM affinity_capture_attempt; "
            "INSERT INTO ir_config_parameter (key, value, create_date, write_date) "
            f"VALUES ('crm_affinity.capture_limit_ip', '{LIMIT_IP}', now(), now()) "
            f"ON CONFLICT (key) DO UPDATE SET value = '{LIMIT_IP}'",
        ],
        check=True,
    )
    # A launcher file, not "-m odoo": Odoo's prefork server starts its long-polling process by re-running
    # its own script, which "-m" does not leave it.
    scratch = Path(tempfile.mkdtemp(prefix="crm_affinity_burst_"))
    launcher = scratch / "odoo-launcher.py"
    launcher.write_text("import odoo.cli\nodoo.cli.main()\n")
    server = subprocess.Popen(
        [
            sys.executable, str(launcher), "-c", conf, "-d", db, "--db-filter", f"^{db}$", "--workers", "2",
            "--max-cron-threads", "0", "--http-port", str(port), "--log-level", "warn",
            "--logfile", str(scratch / "server.log"),
        ]
    )  # fmt: skip
    try:
        wait_for(port)
        sources = [f"127.0.0.{10 + i}" for i in range(ADDRESSES)]
        # Interleaved and concurrent, also from one address: the limits must hold when posts race.
        tasks = [(source, index) for index in range(POSTS_PER_ADDRESS) for source in sources]
        random.Random(42).shuffle(tasks)
        started = time.perf_counter()
        with concurrent.futures.ThreadPoolExecutor(max_workers=CLIENTS) as pool:
            results = list(pool.map(lambda task: sender(port, task), tasks))
        wall = time.perf_counter() - started
    finally:
        server.terminate()
        server.wait(timeout=60)
        errors_logged = [
            line
            for line in (scratch / "server.log").read_text().splitlines()
            if " ERROR " in line or " CRITICAL " in line
        ]
        shutil.rmtree(scratch)
    accepted = [r for r in results if r[1] == 200]
    refused = [r for r in results if r[1] == 429]
    errors = [r for r in results if r[1] not in (200, 429)]
    per_source = {}
    for source, *_rest in accepted:
        per_source[source] = per_source.get(source, 0) + 1
    stored = subprocess.run(
        [*psql, f"SELECT email FROM res_partner WHERE email LIKE 'burst.{RUN}.%@example.com'"],
        check=True, capture_output=True, text=True,
    ).stdout.split()  # fmt: skip
    lost = sorted({r[3] for r in accepted} - set(stored))
    latencies = sorted(r[2] for r in results)
    for line in errors_logged[:5]:
        print(line[:400], file=sys.stderr)
    if errors:
        print("statuses of the errors (0: no answer):", sorted({r[1] for r in errors}), file=sys.stderr)
    figures = {
        "posts": len(results),
        "addresses": ADDRESSES,
        "limit_per_address_and_hour": LIMIT_IP,
        "accepted": len(accepted),
        "refused_429": len(refused),
        "errors": len(errors),
        "max_accepted_per_address": max(per_source.values(), default=0),
        "accepted_but_not_stored": len(lost),
        "p50_ms": round(statistics.median(latencies) * 1000, 1),
        "p95_ms": round(latencies[int(len(latencies) * 0.95) - 1] * 1000, 1),
        "wall_s": round(wall, 1),
        "server_errors_logged": len(errors_logged),
    }
    subprocess.run([*psql, "DELETE FROM affinity_capture_attempt"], check=True)
    Path(results_dir, "burst.json").write_text(json.dumps(figures, indent=2) + "\n")
    print(json.dumps(figures, indent=2))
    held = (
        not errors
        and not errors_logged
        and not lost
        and figures["max_accepted_per_address"] <= LIMIT_IP
        and figures["accepted"] == ADDRESSES * LIMIT_IP
    )
    if not held:
        raise SystemExit("the capture burst broke a limit, lost a post or answered an error")


if __name__ == "__main__":
    main(*sys.argv[1:])
