"""make bench: journeys on automation_oca, with and without the consent gate of crm_affinity_automation.

    python3 scripts/bench_journeys.py CONF DB OUT_DIR [PLAN_SIZE] [RUN_SIZE] [GATE_SIZE]

On a database with crm_affinity_automation installed, seeded (once) with GATE_SIZE customers, one in ten
marked *do not contact*. Every measure runs in its own transaction, rolled back:

- plan: a one-step e-mail journey entered by PLAN_SIZE customers (``run_automation``: records and first steps;
  automation_oca enters one record at a time, so this stays at thousands);
  the bridge's share is the person each record reaches, computed set-based, timed alone beside it;
- run: a day's due steps of RUN_SIZE customers by automation_oca's cron, with the gate (decision and contact
  budget) and without it (automation_oca's own cron, the gate bypassed): the ratio is what the bridge costs;
- gate: the decision for GATE_SIZE due steps at once (``_affinity_gate``), seconds and queries, the steps
  written as automation_oca writes them.

automation_oca itself creates and runs one record at a time; those per-record costs are the engine's, the
same with and without the bridge.
"""

import datetime
import json
import os
import statistics
import sys
import threading
import time

import odoo
from odoo.tools import SQL, config

CONF, DB, OUT_DIR = sys.argv[1:4]
PLAN_SIZE, RUN_SIZE, GATE_SIZE = (
    int(arg) for arg in (sys.argv[4:7] + ["10000", "2000", "100000"][len(sys.argv[4:7]) :])
)
REPS = int(os.environ.get("BENCH_REPS", "3"))
config.parse_config(["-c", CONF, "-d", DB, "--log-level", "warn"])
# Every repetition is rolled back: automation_oca's mail step must not commit between records.
threading.current_thread().testing = True
PREFIX = "Bench journey "


def seed(env):
    """GATE_SIZE customers with an address, one in ten not to be contacted (once)."""
    [(have,)] = env.execute_query(SQL("SELECT count(*) FROM res_partner WHERE name LIKE %s", f"{PREFIX}%"))
    if have >= GATE_SIZE:
        return
    env.execute_query(
        SQL(
            """INSERT INTO res_partner (name, complete_name, email, email_normalized, active, type, is_company,
                                        customer_rank, autopost_bills, lang, company_id, affinity_do_not_contact,
                                        create_date, write_date)
               SELECT %(prefix)s || n, %(prefix)s || n, 'bench' || n || '@example.com',
                      'bench' || n || '@example.com', TRUE, 'contact', FALSE, 1, 'ask', 'en_US', %(company)s,
                      mod(n, 10) = 0, now() at time zone 'UTC', now() at time zone 'UTC'
                 FROM generate_series(%(start)s, %(end)s) n""",
            prefix=PREFIX,
            company=env.company.id,
            start=have + 1,
            end=GATE_SIZE,
        )
    )
    env.cr.commit()
    env.cr.execute("ANALYZE res_partner")


def journey(env, size, interval=0):
    template = env["mail.template"].create(
        {
            "name": "Bench journey",
            "model_id": env["ir.model"]._get_id("res.partner"),
            "subject": "Hello",
            "partner_to": "{{ object.id }}",
            "body_html": "<p>Hello</p>",
        }
    )
    [(last,)] = env.execute_query(
        SQL(
            "SELECT max(id) FROM (SELECT id FROM res_partner WHERE name LIKE %s ORDER BY id LIMIT %s) p",
            f"{PREFIX}%",
            size,
        )
    )
    config_ = env["automation.configuration"].create(
        {
            "name": "Bench journey",
            "model_id": env["ir.model"]._get_id("res.partner"),
            "editable_domain": repr([("name", "=like", f"{PREFIX}%"), ("id", "<=", last)]),
        }
    )
    env["automation.configuration.step"].create(
        {
            "name": "Hello",
            "configuration_id": config_.id,
            "step_type": "mail",
            "mail_template_id": template.id,
            "trigger_type": "start",
            "trigger_interval": interval,
        }
    )
    config_.start_automation()
    return config_


def timed(registry, setup, work):
    seconds, queries = [], []
    for _rep in range(REPS):
        with registry.cursor() as cr:
            env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
            state = setup(env)
            env.flush_all()
            env.invalidate_all()
            before = cr.sql_log_count
            started = time.perf_counter()
            work(env, state)
            env.flush_all()
            seconds.append(time.perf_counter() - started)
            queries.append(cr.sql_log_count - before)
            cr.rollback()
    return round(statistics.median(seconds), 3), int(statistics.median(queries))


def main():
    registry = odoo.modules.registry.Registry.new(DB)
    # automation_oca's own class in the registry's chain: its cron, without the bridge's gate in front.
    engine_step = next(
        cls
        for cls in registry["automation.record.step"].__mro__
        if cls.__module__ == "odoo.addons.automation_oca.models.automation_record_step"
    )
    with registry.cursor() as cr:
        seed(odoo.api.Environment(cr, odoo.SUPERUSER_ID, {}))
    results = {"sizes": {"plan": PLAN_SIZE, "run": RUN_SIZE, "gate": GATE_SIZE}, "reps": REPS}

    results["plan"] = timed(registry, lambda env: journey(env, PLAN_SIZE), lambda env, j: j.run_automation())

    def partners_of_records(env):
        j = journey(env, PLAN_SIZE)
        j.run_automation()
        env.flush_all()
        return env["automation.record"].search([("configuration_id", "=", j.id)])

    results["plan_bridge_share"] = timed(
        registry, partners_of_records, lambda env, records: records._compute_affinity_partner_id()
    )

    def planned(env):
        j = journey(env, RUN_SIZE)
        j.run_automation()
        return j

    steps = "automation.record.step"
    results["run_with_bridge"] = timed(registry, planned, lambda env, j: env[steps]._cron_automation_steps())

    def engine_only(env, j):
        # The gate bypassed: every due step holds a pass, as if the gate had just let it through.
        due = env[steps].search(
            [("state", "=", "scheduled"), ("scheduled_date", "<=", odoo.fields.Datetime.now())]
        )
        env[steps]._affinity_gate_passes().update(due.ids)
        return engine_step._cron_automation_steps(env[steps])

    results["run_without_bridge"] = timed(registry, planned, engine_only)

    def due_steps(env):
        # automation_oca enters records one at a time (its own cost, quadratic in a recordset union): the
        # GATE_SIZE due steps are written as it would write them, in one statement each.
        j = journey(env, GATE_SIZE)
        step = j.automation_step_ids
        env.flush_all()
        env.execute_query(
            SQL(
                """WITH p AS (SELECT id FROM res_partner WHERE name LIKE %(prefix)s ORDER BY id LIMIT %(size)s),
                        r AS (INSERT INTO automation_record (configuration_id, model, res_id, state,
                                                             affinity_partner_id, create_date, write_date)
                              SELECT %(journey)s, 'res.partner', p.id, 'run', p.id,
                                     now() at time zone 'UTC', now() at time zone 'UTC' FROM p
                              RETURNING id)
                   INSERT INTO automation_record_step (record_id, configuration_step_id, configuration_id, name,
                                                       step_type, trigger_type, state, scheduled_date,
                                                       do_not_wait, parent_position, create_date, write_date)
                   SELECT r.id, %(step)s, %(journey)s, 'Hello', 'mail', 'start', 'scheduled',
                          now() at time zone 'UTC', FALSE, 0, now() at time zone 'UTC', now() at time zone 'UTC'
                     FROM r""",
                prefix=f"{PREFIX}%",
                size=GATE_SIZE,
                journey=j.id,
                step=step.id,
            )
        )
        return env[steps].search([("configuration_id", "=", j.id)])

    results["gate"] = timed(registry, due_steps, lambda env, due: due._affinity_gate())
    with_s, without_s = results["run_with_bridge"][0], results["run_without_bridge"][0]
    results["run_ratio"] = round(with_s / without_s, 2) if without_s else None
    stamp = datetime.datetime.now().strftime("%Y-%m-%dT%H%M%S")
    os.makedirs(OUT_DIR, exist_ok=True)
    for name in (f"journeys-{stamp}.json", "journeys-latest.json"):
        with open(os.path.join(OUT_DIR, name), "w") as out:
            json.dump(results, out, indent=2)
    print(json.dumps(results, indent=2))


main()
