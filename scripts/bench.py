"""make bench: time every heavy path of crm_affinity against a raw-SQL floor, in one run.

    python3 scripts/bench.py OUT_DIR REPS SIZE=CONF=DB [SIZE=CONF=DB ...]

Every repetition runs in its own transaction and is rolled back, so each one does the same work on the
same data; the median is reported. A floor is the same aggregate written as one hand-tuned SQL statement,
timed in the same transaction conditions; the ratio is ours / floor.
"""

import datetime
import gc
import importlib.util
import json
import os
import platform
import statistics
import sys
import threading
import time
from contextlib import closing

from lxml import etree

import odoo
from odoo.tools import SQL, config

OUT_DIR, REPS = sys.argv[1], int(sys.argv[2])
# The contact budget is read as a ratio against a target: more turns, a steadier median.
TURNS = max(REPS, 9)
TARGETS = [arg.split("=", 2) for arg in sys.argv[3:]]
config.parse_config(["-c", TARGETS[0][1], "--log-level", "warn"])
# Every repetition is rolled back: the batch commits of the nightly jobs must not happen here.
threading.current_thread().testing = True


def _vacuum(registry, table, analyze=False):
    with closing(odoo.sql_db.db_connect(registry.db_name).cursor()) as cr:
        cr._cnx.autocommit = True  # VACUUM runs outside a transaction
        try:
            cr.execute(f"VACUUM {'ANALYZE ' if analyze else ''}{table}")
        finally:
            cr._cnx.autocommit = False


def run(registry, work, setup=None, reps=REPS, vacuum=()):
    """Median seconds and queries of ``work(env)`` over ``reps`` rolled-back transactions.

    ``vacuum``: tables vacuumed before each repetition, so a path that rewrites many rows starts from
    the same heap every time (free space decides whether an update can stay on its page).
    """
    seconds, queries, items = [], [], []
    for _rep in range(reps):
        for table in vacuum:
            _vacuum(registry, table)
        with registry.cursor() as cr:
            env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
            state = setup(env) if setup else None
            env.flush_all()
            env.invalidate_all()
            before = cr.sql_log_count
            started = time.perf_counter()
            result = work(env, state)
            env.flush_all()
            seconds.append(time.perf_counter() - started)
            queries.append(cr.sql_log_count - before)
            items.append(result if isinstance(result, int) else 0)
            cr.rollback()
    return statistics.median(seconds), int(statistics.median(queries)), int(statistics.median(items))


def run_pair(registry, work, setup_a, setup_b, reps):
    """Two variants of a short path timed alternately, with the garbage collector held: their difference is
    what the variant adds, free of the drift between two separate series of a few milliseconds each."""
    samples = {setup_a: [], setup_b: []}
    for rep in range(reps):
        for setup in (setup_a, setup_b) if rep % 2 else (setup_b, setup_a):
            with registry.cursor() as cr:
                env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
                state = setup(env)
                env.flush_all()
                env.invalidate_all()
                gc.collect()
                gc.disable()
                before = cr.sql_log_count
                started = time.perf_counter()
                work(env, state)
                elapsed = time.perf_counter() - started
                gc.enable()
                samples[setup].append((elapsed, cr.sql_log_count - before))
                cr.rollback()
    return tuple(
        (statistics.median(t for t, _q in samples[s]), int(statistics.median(q for _t, q in samples[s])), 0)
        for s in (setup_a, setup_b)
    )


def floor(registry, statement, setup=None, reps=REPS, vacuum=()):
    """Median seconds of one raw SQL statement (built from the transaction's env)."""

    def work(env, state):
        # The floor is the best the database can do: no JIT compilation either (see tools/sql.py).
        env.cr.execute("SET LOCAL jit = off")
        env.cr.execute(statement(env, state))
        if env.cr.description:
            env.cr.fetchall()

    return run(registry, work, setup, reps, vacuum)[0]


# ----------------------------------------------------------------------
# 1. campaign scoring
# ----------------------------------------------------------------------


def scoring_setup(env):
    today = datetime.date.today()
    return env["affinity.campaign.score"].create(
        {"dimension": "source", "date_from": today - datetime.timedelta(days=730), "date_to": today}
    )


def scoring_ours(env, score):
    score.action_compute()


def scoring_floor(env, score):
    return SQL(
        """
        WITH c AS (
            SELECT id, affinity_source_id AS key, affinity_acquired_on AS acquired
              FROM res_partner WHERE affinity_acquired_on BETWEEN %(f)s AND %(t)s
        ), o AS (
            SELECT so.partner_id, so.amount_untaxed / COALESCE(NULLIF(so.currency_rate, 0), 1) AS revenue,
                   so.date_order,
                   (SELECT sum(l.product_uom_qty * COALESCE((pp.standard_price ->> so.company_id::text)::numeric, 0))
                      FROM sale_order_line l JOIN product_product pp ON pp.id = l.product_id
                     WHERE l.order_id = so.id) AS cost
              FROM sale_order so JOIN c ON c.id = so.partner_id WHERE so.state = 'sale'
        ), pc AS (
            SELECT c.key, c.id, count(o.partner_id) AS orders, sum(o.revenue) AS revenue, sum(o.cost) AS cost,
                   sum(o.revenue) FILTER (WHERE o.date_order < c.acquired + interval '12 months') AS value_12m
              FROM c LEFT JOIN o ON o.partner_id = c.id GROUP BY c.key, c.id
        ), cf AS (
            SELECT key, count(*) AS customers, sum(revenue) AS revenue, sum(cost) AS cost, sum(value_12m) AS v12,
                   count(*) FILTER (WHERE orders >= 2) AS repeat FROM pc GROUP BY key
        ), lf AS (
            SELECT l.source_id AS key, count(*) AS leads, count(*) FILTER (WHERE l.type = 'opportunity') AS opps,
                   count(*) FILTER (WHERE st.is_won) AS won
              FROM crm_lead l LEFT JOIN crm_stage st ON st.id = l.stage_id
             WHERE l.create_date >= %(f)s AND l.create_date < %(t)s::date + 1 GROUP BY 1
        ), sf AS (
            SELECT source_id AS key, sum(amount) AS spend FROM affinity_marketing_spend
             WHERE date_to >= %(f)s AND date_from <= %(t)s GROUP BY 1
        )
        SELECT * FROM cf FULL JOIN lf USING (key) FULL JOIN sf USING (key)
        """,
        f=score.date_from,
        t=score.date_to,
    )


def drill_setup(env):
    score = scoring_setup(env)
    score.action_compute()
    line = score.line_ids.sorted(lambda line: -line.new_customers)[:1]
    return line


def drill_ours(env, line):
    domain = line.action_open_customers()["domain"]
    env["res.partner"].web_search_read(domain, list_spec(env), limit=80, count_limit=10001)


def drill_floor(env, line):
    return SQL(
        """SELECT id, name, email, phone, (SELECT count(*) FROM res_partner WHERE affinity_source_id = %(s)s
                  AND affinity_acquired_on BETWEEN %(f)s AND %(t)s)
             FROM res_partner WHERE affinity_source_id = %(s)s AND affinity_acquired_on BETWEEN %(f)s AND %(t)s
            ORDER BY complete_name, id LIMIT 80""",
        s=line.source_id.id,
        f=line.score_id.date_from,
        t=line.score_id.date_to,
    )


# ----------------------------------------------------------------------
# 2. customer value
# ----------------------------------------------------------------------


# Rewritten by the value paths: vacuumed before each of their repetitions (see run()).
VALUE_TABLES = ("res_partner", "affinity_review_flag")


def value_ours(env, _state):
    return env["affinity.customer.value"]._recompute()["changed"]


def value_rerun_ours(env, _state):
    """The nightly job, run a second time the same day."""
    return env["affinity.customer.value"]._cron_recompute()["changed"]


def value_rerun_setup(env):
    env["affinity.customer.value"]._cron_recompute()


def value_floor(env, _state):
    company = env.company.id
    return SQL(
        """
        WITH sales AS (
            SELECT so.partner_id, max(so.date_order) AS last_day, count(*) AS frequency, sum(x.revenue) AS monetary,
                   sum(x.revenue) FILTER (WHERE so.date_order > now() - interval '12 months') AS revenue_w,
                   sum(x.cost) FILTER (WHERE so.date_order > now() - interval '12 months') AS cost_w,
                   sum(x.discount) FILTER (WHERE so.date_order > now() - interval '12 months') AS discount_w
              FROM sale_order so
              JOIN LATERAL (
                   SELECT sum(l.price_subtotal) AS revenue,
                          sum(l.product_uom_qty * COALESCE((pp.standard_price ->> %(company)s)::numeric, 0)) AS cost,
                          sum(l.price_unit * l.product_uom_qty * l.discount / 100) AS discount
                     FROM sale_order_line l LEFT JOIN product_product pp ON pp.id = l.product_id
                    WHERE l.order_id = so.id) x ON TRUE
             WHERE so.state = 'sale'
             GROUP BY so.partner_id
        ), complaints AS (
            SELECT partner_id, count(*) AS n FROM affinity_complaint
             WHERE date > now() - interval '12 months' GROUP BY 1
        ), pay AS (
            SELECT partner_id, count(*) AS due,
                   count(*) FILTER (WHERE COALESCE(affinity_paid_date, current_date) > invoice_date_due) AS late
              FROM account_move
             WHERE state = 'posted' AND move_type = 'out_invoice' AND invoice_date_due > current_date - 365
               AND (affinity_paid_date IS NOT NULL OR invoice_date_due < current_date)
             GROUP BY 1
        ), scored AS (
            SELECT s.*, ntile(5) OVER (ORDER BY s.last_day) AS r, ntile(5) OVER (ORDER BY s.frequency) AS f,
                   ntile(5) OVER (ORDER BY s.monetary) AS m,
                   COALESCE(s.revenue_w, 0) - COALESCE(s.cost_w, 0) - COALESCE(c.n, 0) * 100 AS margin,
                   CASE WHEN p.due > 0 THEN 100.0 * p.late / p.due ELSE 0 END AS late_share
              FROM sales s LEFT JOIN complaints c USING (partner_id) LEFT JOIN pay p USING (partner_id)
        )
        UPDATE res_partner rp
           SET affinity_rfm_r = s.r, affinity_rfm_f = s.f, affinity_rfm_m = s.m,
               affinity_rfm_frequency = s.frequency, affinity_rfm_monetary = s.monetary,
               affinity_revenue_12m = s.revenue_w, affinity_margin_12m = s.margin, affinity_late_share = s.late_share,
               affinity_value_date = current_date
          FROM scored s WHERE s.partner_id = rp.id
        """,
        company=str(company),
    )


# ----------------------------------------------------------------------
# 3. follow-up planner
# ----------------------------------------------------------------------


def planner_setup(extra_due=0):
    def setup(env):
        today = datetime.date.today()
        rules = env["affinity.followup.rule"].search([("active", "=", True)])
        # An ordinary day: yesterday's run already planned everything up to yesterday's horizon.
        rules._plan(today - datetime.timedelta(days=1))
        if extra_due:
            cadence = env.ref("crm_affinity.followup_rule_cadence_call")
            cadence.active = True
            rules |= cadence
            horizon = today + datetime.timedelta(days=7)
            env.flush_all()
            env.cr.execute(
                SQL(
                    """UPDATE res_partner SET affinity_cadence_days = 30, affinity_next_contact_due = %(d)s
                        WHERE id IN (SELECT id FROM res_partner WHERE customer_rank > 0
                                        AND affinity_next_contact_due IS NULL ORDER BY id LIMIT %(n)s)""",
                    d=horizon,
                    n=extra_due,
                )
            )
            env["res.partner"].invalidate_model()
        return rules, today

    return setup


def planner_ours(env, state):
    rules, today = state
    return len(rules._plan(today))


def planner_floor(env, state):
    _rules, today = state
    start, end = today - datetime.timedelta(days=7), today + datetime.timedelta(days=7)
    return SQL(
        """
        SELECT c.partner_id, c.occurrence FROM (
            SELECT d.partner_id, d.next_date AS occurrence FROM affinity_date d
             WHERE d.next_date BETWEEN %(start)s - 30 AND %(end)s + 30
            UNION ALL
            SELECT p.id, p.affinity_next_contact_due FROM res_partner p
             WHERE p.affinity_next_contact_due <= %(end)s AND p.affinity_cadence_days > 0
            UNION ALL
            SELECT p.id, p.affinity_lapse_date FROM res_partner p
             WHERE p.affinity_lapse_date BETWEEN %(start)s AND %(end)s
            UNION ALL
            SELECT c.partner_id, c.next_update_due FROM affinity_complaint c
             WHERE c.next_update_due <= %(end)s
        ) c
        WHERE NOT EXISTS (SELECT 1 FROM affinity_followup f
                           WHERE f.partner_id = c.partner_id AND f.occurrence_date = c.occurrence)
        """,
        start=start,
        end=end,
    )


# ----------------------------------------------------------------------
# 4. consent decision and the mailing's opt-out step
# ----------------------------------------------------------------------


def recipients_setup_ids(cr):
    cr.execute("SELECT id FROM res_partner WHERE customer_rank > 0 ORDER BY id LIMIT 100000")
    return [row[0] for row in cr.fetchall()]


def recipients_setup(env):
    return recipients_setup_ids(env.cr)


def decision_ours(env, ids):
    decisions = (
        env["res.partner"].browse(ids)._affinity_contact_decision("email", "marketing", check_window=False)
    )
    return len(decisions)


def decision_floor(env, ids):
    return SQL(
        """
        SELECT p.id,
               NOT COALESCE(p.affinity_do_not_contact, FALSE) AND COALESCE(p.email_normalized, '') != ''
               AND c.state = 'granted' AND (c.expiry_date IS NULL OR c.expiry_date >= current_date)
               AND NOT EXISTS (SELECT 1 FROM mail_blacklist b WHERE b.active AND b.email = p.email_normalized)
          FROM res_partner p
          LEFT JOIN affinity_consent c ON c.partner_id = p.id AND c.channel_id = %(channel)s
                                     AND c.purpose_id = %(purpose)s
         WHERE p.id = ANY(%(ids)s::int[])
        """,
        channel=env.ref("crm_affinity.affinity_channel_email").id,
        purpose=env.ref("crm_affinity.affinity_purpose_marketing").id,
        ids="{" + ",".join(map(str, ids)) + "}",
    )


# Marks the contact history the budget path writes and commits, so it is removed again, even after a run
# that was cut short.
HISTORY_MARK = "<crm-affinity-bench-contact-history>"
# The year behind the month: a mailing to every customer each month for eleven more months.
OLDER_CONTACTS = 11


def _insert_contacts(env, ids, mark=None, older=0):
    """Two commercial contacts per customer in the last 30 days, as mass-mailing traces: one 9 days back, one
    within the last day (so every customer is at a budget of one a day). ``older``: as many more per customer
    spread over the eleven months before, written in the order they went out."""
    env.cr.execute(
        """
        INSERT INTO mailing_trace (model, res_id, trace_type, trace_status, sent_datetime, email, message_id,
                                   create_uid, write_uid, create_date, write_date)
        SELECT 'res.partner', p.id, 'mail', 'sent', now() AT TIME ZONE 'UTC' - (k * interval '9 days')
               - (p.id %% 1440) * interval '1 minute', p.email_normalized, %(mark)s, 1, 1, now(), now()
          FROM res_partner p CROSS JOIN generate_series(0, 1) k
         WHERE p.id = ANY(%(ids)s)
        """,
        {"ids": ids, "mark": mark},
    )
    if older:
        env.cr.execute(
            """
            INSERT INTO mailing_trace (model, res_id, trace_type, trace_status, sent_datetime, email, message_id,
                                       create_uid, write_uid, create_date, write_date)
            SELECT 'res.partner', p.id, 'mail', 'sent',
                   now() AT TIME ZONE 'UTC' - interval '31 days' - k * interval '330 days' / %(older)s
                   - (p.id %% 1440) * interval '1 minute', p.email_normalized, %(mark)s, 1, 1, now(), now()
              FROM res_partner p CROSS JOIN generate_series(1, %(older)s) k
             WHERE p.id = ANY(%(ids)s)
             ORDER BY 5, 2
            """,
            {"ids": ids, "mark": mark, "older": older},
        )


def drop_contact_history(registry):
    with registry.cursor() as cr:
        cr.execute("DELETE FROM mailing_trace WHERE message_id = %s", [HISTORY_MARK])
        dropped = cr.rowcount
        cr.commit()
    if dropped:
        # The indexes would keep the pages the history spread over: rebuilt, the rows that follow (and the next
        # run) read them as compact as a live database's.
        with registry.cursor() as cr:
            cr.execute("REINDEX TABLE mailing_trace")
        _vacuum(registry, "mailing_trace", analyze=True)


def write_contact_history(registry, older=0):
    """The contacts as a live database holds them when a mailing goes out: written by earlier mailings,
    committed, and vacuumed (autovacuum sets the visibility map after a burst of inserts)."""
    drop_contact_history(registry)
    with registry.cursor() as cr:
        _insert_contacts(
            odoo.api.Environment(cr, odoo.SUPERUSER_ID, {}), recipients_setup_ids(cr), HISTORY_MARK, older
        )
        cr.commit()
    _vacuum(registry, "mailing_trace", analyze=True)


def decision_pressure_setup(env):
    """A company budget of one commercial contact a day, three a week and eight a month."""
    ids = recipients_setup(env)
    env.company.write({"affinity_pressure_day": 1, "affinity_pressure_week": 3, "affinity_pressure_month": 8})
    return ids


def decision_fresh_setup(env):
    """The same budget and contacts, the traces written in this very transaction: none is in the visibility map
    yet, so none can be counted from the index alone."""
    ids = decision_pressure_setup(env)
    env.flush_all()
    _insert_contacts(env, ids)
    env.cr.execute("ANALYZE mailing_trace")
    return ids


def run_alternating(registry, work, setups, reps):
    """Paths timed in turns, each repetition in a new order: their ratio is free of the machine's drift between
    two series. ``setups``: [(setup, tables to vacuum before each repetition)]."""
    samples = {setup: [] for setup, _vacuum in setups}
    for rep in range(reps):
        for setup, vacuum in setups[rep % len(setups) :] + setups[: rep % len(setups)]:
            samples[setup].append(run(registry, work, setup, 1, vacuum))
    return [
        (
            statistics.median(s for s, _q, _i in samples[setup]),
            int(statistics.median(q for _s, q, _i in samples[setup])),
            int(statistics.median(i for _s, _q, i in samples[setup])),
        )
        for setup, _vacuum in setups
    ]


def mailing_setup(env):
    ids = recipients_setup(env)
    mailing = env["mailing.mailing"].create(
        {
            "subject": "Bench",
            "mailing_model_id": env["ir.model"]._get_id("res.partner"),
            "mailing_domain": "[('customer_rank', '>', 0)]",
            "body_html": "<p>Bench</p>",
        }
    )
    return mailing, ids


def mailing_ours(env, state):
    mailing, ids = state
    return len(mailing._affinity_consent_blocked(ids, "email"))


def mailing_floor(env, state):
    _mailing, ids = state
    return SQL(
        """
        SELECT p.id FROM res_partner p
          LEFT JOIN affinity_consent c ON c.partner_id = p.id AND c.channel_id = %(channel)s
                                     AND c.purpose_id = %(purpose)s
         WHERE p.id = ANY(%(ids)s::int[])
           AND (COALESCE(p.affinity_do_not_contact, FALSE) OR c.state = 'denied'
                OR (c.state = 'granted' AND c.expiry_date < current_date))
        """,
        channel=env.ref("crm_affinity.affinity_channel_email").id,
        purpose=env.ref("crm_affinity.affinity_purpose_marketing").id,
        ids="{" + ",".join(map(str, ids)) + "}",
    )


# ----------------------------------------------------------------------
# 5. the partner form and list, as the web client reads them
# ----------------------------------------------------------------------


def view_spec(env, view_type):
    """The specification the web client sends for a view: its fields, sub-lists included."""
    partners = env["res.partner"]
    arch = etree.fromstring(partners.get_views([(False, view_type)])["views"][view_type]["arch"])

    def spec_of(node, model):
        spec = {}
        for field in node.iter("field"):
            if any(parent.tag == "field" for parent in field.iterancestors() if parent is not node):
                continue
            name = field.get("name")
            if name not in model._fields:
                continue
            definition = model._fields[name]
            if definition.type == "many2one":
                spec[name] = {"fields": {"display_name": {}}}
            elif definition.type in ("one2many", "many2many"):
                sub = next(iter(field.iterchildren("list")), None)
                comodel = env[definition.comodel_name]
                fields = spec_of(sub, comodel) if sub is not None else {"display_name": {}}
                spec[name] = {"fields": fields or {"display_name": {}}, "limit": 40}
            else:
                spec[name] = {}
        return spec

    return spec_of(arch, partners)


def list_spec(env):
    return view_spec(env, "list")


def form_setup(env):
    env.cr.execute(
        """SELECT partner_id FROM affinity_date GROUP BY partner_id ORDER BY count(*) DESC, partner_id LIMIT 1"""
    )
    partner = env["res.partner"].browse(env.cr.fetchone()[0])
    return partner, view_spec(env, "form")


def form_ours(env, state):
    partner, spec = state
    env["res.partner"].browse(partner.id).web_read(spec)


def tabs_ours(env, state):
    """What opening the Affinity and Communication tabs asks for: their summaries, read then."""
    partner, _spec = state
    for tab in ("file", "communication"):
        env["res.partner"].browse(partner.id).affinity_summary_lines(tab)


def form_core_setup(env):
    """The same form without this addon's fields: what Odoo and the other installed apps cost alone."""
    partner, spec = form_setup(env)
    return partner, {name: value for name, value in spec.items() if not name.startswith("affinity_")}


def list_setup(limit):
    def setup(env):
        return list_spec(env), limit

    return setup


def list_ours(env, state):
    spec, limit = state
    env["res.partner"].web_search_read([("customer_rank", ">", 0)], spec, limit=limit)


# ----------------------------------------------------------------------


# ----------------------------------------------------------------------
# 6. IYS: the decision with an account, the push and the pull of 100 000 consents
# ----------------------------------------------------------------------

STANDIN = {}
# What the last IYS repetition asked the stand-in: reported beside the time.
LAST = {}


def _standin_class():
    """The tests' stand-in IYS server, loaded from its file (importing the tests package would load them all)."""
    path = os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "crm_affinity", "tests", "iys_standin.py"
    )
    spec = importlib.util.spec_from_file_location("crm_affinity_iys_standin", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.IysStandIn


def standin():
    """One stand-in on 127.0.0.1 for the whole run, emptied before each repetition."""
    if "server" not in STANDIN:
        server = _standin_class()()
        server.token_limit = 10**9
        server.enqueue_polls = 0
        STANDIN["server"] = server.start()
    server = STANDIN["server"]
    server.consents.clear()
    server.changes.clear()
    server.requests.clear()
    server.calls.clear()
    server.serve_citizen_changes = False
    server.status_delay = 0
    server.status_requests = 0
    return server


def iys_account(env, server):
    return env["affinity.iys.account"].create(
        {
            "company_id": env.company.id,
            "base_url": server.url,
            "iys_code": server.iys_code,
            "brand_code": server.brand_code,
            "username": server.username,
            "password": server.password,
            "batch_size": 1000,
            "pull_limit": 1000,
            "state": "on",
        }
    )


def decision_iys_setup(env):
    iys_account(env, standin())
    return recipients_setup(env)


def iys_push_setup(env):
    """100 000 commercial consent changes waiting in the queue, as the consent writes leave them."""
    server = standin()
    account = iys_account(env, server)
    env.cr.execute(
        """
        INSERT INTO affinity_iys_push (account_id, company_id, consent_id, partner_id, recipient, recipient_type,
                                       consent_type, status, source_code, consent_date, state, attempts,
                                       create_uid, write_uid, create_date, write_date)
        SELECT %(account)s, %(company)s, c.id, p.id,
               CASE WHEN ch.code = 'email' THEN p.email_normalized
                    ELSE '+90' || right(regexp_replace(COALESCE(p.mobile, p.phone, ''), '[^0-9]', '', 'g'), 10) END,
               'BIREYSEL', ch.iys_type, 'ONAY', 'HS_WEB',
               to_char(now() AT TIME ZONE 'Europe/Istanbul' - interval '1 hour', 'YYYY-MM-DD HH24:MI:SS'),
               'queued', 0, 1, 1, now(), now()
          FROM affinity_consent c
          JOIN affinity_channel ch ON ch.id = c.channel_id AND ch.iys_type IS NOT NULL
          JOIN res_partner p ON p.id = c.partner_id
         ORDER BY c.id
         LIMIT 100000
        """,
        {"account": account.id, "company": env.company.id},
    )
    return {"server": server, "account": account}


def iys_push_ours(env, state):
    state["account"]._push()
    LAST["requests"] = len(state["server"].calls)
    env.cr.execute("SELECT count(*) FROM affinity_iys_push WHERE state IN ('done', 'rejected')")
    return env.cr.fetchone()[0]


# The tables a pull or a reconciliation writes 100 000 rows into: vacuumed before each repetition, so the rows
# the last rolled-back one left dead are not in the way of the next.
IYS_TABLES = (
    "affinity_consent",
    "affinity_consent_log",
    "mail_message",
    "mail_blacklist",
    "affinity_iys_unmatched",
    "affinity_iys_account",
)
# What the stand-in takes to answer one status query: a realistic round trip to IYS over the internet.
STATUS_DELAY = 0.05
# The pace of the status checks in the bench (the account's Status Queries per Second; 5 by default).
STATUS_PACE = 20
# Recipients of the SMS mailing; those of them whose approval was confirmed longer ago than the account's
# Ask IYS Again After (48 hours), each asked again before the message goes.
MAILING_RECIPIENTS = 100000
STATUS_STALE = 100


def _citizen_changes(env, moments):
    """Citizens' changes for the database's own people, as IYS lists them: one per customer with an e-mail
    address, a rejection for every third, an approval for the others; ``moments(index)`` gives each its
    consentDate (Turkish time) and the moment IYS registered it."""
    env.cr.execute(
        """SELECT email_normalized, is_company FROM res_partner
            WHERE customer_rank > 0 AND email_normalized IS NOT NULL ORDER BY id LIMIT 100000"""
    )
    visible = datetime.datetime.now(datetime.UTC).replace(tzinfo=None) - datetime.timedelta(hours=2)
    changes = []
    for index, (email, is_company) in enumerate(env.cr.fetchall()):
        moment = moments(index)
        changes.append(
            {
                "index": index,
                "kind": "IYS",
                "visible_at": visible,
                "created": moment,
                "change": {
                    "recipient": email,
                    # A company's consent is a merchant's record at IYS, anyone else's a person's.
                    "recipientType": "TACIR" if is_company else "BIREYSEL",
                    "type": "EPOSTA",
                    "status": "RET" if index % 3 == 0 else "ONAY",
                    "source": "IYS_MOBIL",
                    "consentDate": moment.strftime("%Y-%m-%d %H:%M:%S"),
                    "creationDate": moment.strftime("%Y-%m-%d %H:%M:%S"),
                    "transactionId": f"B{index:08d}",
                },
            }
        )
    return changes


def iys_pull_setup(env, delay=0.0):
    """100 000 changes waiting at IYS: citizens' rejections and approvals for the database's own people,
    served by ``changes?source=IYS`` as on the day it goes live (today it answers empty); each page after
    ``delay`` seconds."""
    server = standin()
    server.serve_citizen_changes = True
    server.changes_delay = delay
    account = iys_account(env, server)
    moment = datetime.datetime.now() - datetime.timedelta(hours=2)
    server.changes.extend(_citizen_changes(env, lambda _index: moment))
    server._in_order()  # the stand-in's one sort by creationDate, outside the time measured
    return {"server": server, "account": account}


def iys_pull_ours(env, state):
    state["account"]._pull()
    LAST["requests"] = len(state["server"].calls)
    return len(state["server"].changes)


def iys_pull_floor(env, state):
    """The floor of the pull: the same client reading the same pages from the stand-in, and nothing else."""
    account = state["account"]
    client = account._client()
    read = 0
    for source in ("HS", "IYS"):
        after = None
        while True:
            page = client.changes(source, after=after, limit=account.pull_limit)
            changes = page.get("list") or []
            read += len(changes)
            after = page.get("after") or after
            if len(changes) < account.pull_limit:
                break
    LAST["floor_requests"] = client.requests
    return read


def iys_history_rows(env, _state):
    """The immutable history row every change of the pull leaves, and nothing else: 100 000 of them shaped
    as the pull writes them (a consent, its partner, company, channel and purpose, who recorded it), each
    checked against its eight foreign keys as any insert is."""
    return SQL(
        """INSERT INTO affinity_consent_log (
                  consent_id, partner_id, partner_name, partner_address, company_id, channel_id, purpose_id,
                  old_state, new_state, source, consent_date, user_id, note, unverified,
                  create_uid, write_uid, create_date, write_date)
           SELECT c.id, c.partner_id, p.name, p.email, c.company_id, c.channel_id, c.purpose_id,
                  c.state, 'denied', 'iys', now() AT TIME ZONE 'UTC', %(uid)s, 'IYS: RET from IYS', FALSE,
                  %(uid)s, %(uid)s, now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC'
             FROM affinity_consent c JOIN res_partner p ON p.id = c.partner_id
         ORDER BY c.id LIMIT 100000""",
        uid=env.uid,
    )


def iys_reconcile_setup(env):
    """The nightly reconciliation's 7 days: 100 000 lines in the change files of the 7 days before today
    (about 14 300 a day), the last file read the day before them, so every approval is confirmed after."""
    server = standin()
    account = iys_account(env, server)
    today = datetime.datetime.now(datetime.timezone(datetime.timedelta(hours=3))).replace(tzinfo=None).date()
    first = datetime.datetime.combine(today - datetime.timedelta(days=7), datetime.time())
    step = 7 * 86400 / 100000
    server.changes.extend(
        _citizen_changes(env, lambda index: first + datetime.timedelta(seconds=int(index * step)))
    )
    account.changes_file_date = today - datetime.timedelta(days=8)
    return {"server": server, "account": account, "today": today}


def iys_reconcile_ours(env, state):
    state["account"]._reconcile_from_change_files()
    LAST["requests"] = len(state["server"].calls)
    return len(state["server"].changes)


def iys_reconcile_floor(env, state):
    """The floor of the reconciliation: the same client reading the same 7 files, and nothing else."""
    client = state["account"]._client()
    read = 0
    for days in range(7, 0, -1):
        read += len(client.change_file(state["today"] - datetime.timedelta(days=days)))
    return read


def iys_status_setup(stale):
    """An SMS mailing to 100 000 customers with an SMS marketing grant IYS approved: last night's change file
    confirmed every approval but ``stale`` of them, confirmed three days ago, which IYS (the stand-in,
    answering in STATUS_DELAY) still holds."""

    def setup(env):
        server = standin()
        server.status_delay = STATUS_DELAY
        account = iys_account(env, server)
        account.status_per_second = STATUS_PACE
        sms = env.ref("crm_affinity.affinity_channel_sms")
        marketing = env["affinity.purpose"]._get_by_code("marketing")
        env.flush_all()
        env.cr.execute(
            """
            WITH recipients AS (
                SELECT id FROM res_partner
                 WHERE customer_rank > 0 AND active AND COALESCE(mobile, phone) IS NOT NULL
                 ORDER BY id LIMIT %(count)s)
            INSERT INTO affinity_consent (partner_id, channel_id, purpose_id, state, source, date_given,
                                          iys_status, iys_date, iys_synced_at, iys_in_sync,
                                          create_uid, write_uid, create_date, write_date)
            SELECT r.id, %(sms)s, %(marketing)s, 'granted', 'web_form', now() - interval '30 days',
                   'ONAY', now() - interval '30 days', now() - interval '1 day', true, 1, 1, now(), now()
              FROM recipients r
            ON CONFLICT (partner_id, channel_id, purpose_id) DO UPDATE
               SET state = 'granted', iys_status = 'ONAY', iys_synced_at = now() - interval '1 day',
                   iys_in_sync = true
            RETURNING partner_id
            """,
            {"count": MAILING_RECIPIENTS, "sms": sms.id, "marketing": marketing.id},
        )
        partners = env["res.partner"].browse(sorted(row[0] for row in env.cr.fetchall()))
        # The stale ones among the Turkish numbers (IYS holds no other: a foreign number is never asked).
        env.cr.execute(
            """SELECT id FROM res_partner WHERE id = ANY(%s)
                  AND regexp_replace(COALESCE(mobile, phone), '[^0-9]', '', 'g') ~ '^(90)?0?5[0-9]{9}$'
                ORDER BY id LIMIT %s""",
            (partners.ids, stale),
        )
        stale_partners = env["res.partner"].browse([row[0] for row in env.cr.fetchall()])
        env.cr.execute(
            """UPDATE affinity_consent SET iys_synced_at = now() - interval '3 days'
                WHERE channel_id = %s AND purpose_id = %s AND partner_id = ANY(%s)""",
            (sms.id, marketing.id, stale_partners.ids),
        )
        for partner in stale_partners:
            recipient = partner._affinity_iys_recipient(sms)
            server.consents[(recipient, "BIREYSEL", "MESAJ")] = {
                "recipient": recipient,
                "recipientType": "BIREYSEL",
                "type": "MESAJ",
                "status": "ONAY",
                "source": "HS_WEB",
                "consentDate": datetime.datetime.now() - datetime.timedelta(days=30),
                "creationDate": "2026-01-01 00:00:00",
            }
        env.invalidate_all()
        return {"server": server, "partners": partners}

    return setup


def iys_status_ours(env, state):
    asked = env["affinity.iys.account"]._confirm_before_sending(state["partners"], "sms")
    LAST["requests"] = state["server"].status_requests
    LAST["recipients"] = len(state["partners"])
    return asked


def machine():
    cpu = "unknown"
    if os.path.exists("/proc/cpuinfo"):
        for line in open("/proc/cpuinfo", encoding="utf-8"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{os.cpu_count()} cores ({cpu}), {memory:.0f} GiB, Python {platform.python_version()}"


def measure(size, registry):
    with registry.cursor() as cr:
        cr.execute("SHOW server_version")
        pg = cr.fetchone()[0]
        cr.execute("SELECT count(*) FROM res_partner WHERE customer_rank > 0")
        customers = cr.fetchone()[0]
        cr.execute("SELECT count(*) FROM sale_order_line")
        lines = cr.fetchone()[0]
    heavy = max(2, REPS // 2) if customers > 50000 else REPS
    rows = []

    def add(path, ours, floor_seconds=None, target=None):
        seconds, queries, items = ours
        rows.append(
            {
                "path": path,
                "size": size,
                "customers": customers,
                "median_s": round(seconds, 4),
                "queries": queries,
                "items": items,
                "floor_s": round(floor_seconds, 4) if floor_seconds else None,
                "ratio": round(seconds / floor_seconds, 2) if floor_seconds else None,
                "target": target,
            }
        )
        print(
            f"  {path:<46} {seconds:9.3f} s {queries:6d} q {items:7d} rows"
            + (f"  floor {floor_seconds:7.3f} s  x{seconds / floor_seconds:.2f}" if floor_seconds else ""),
            flush=True,
        )

    print(f"== {size}: {customers} customers, {lines} order lines (PostgreSQL {pg})", flush=True)
    add(
        "scoring: report by source",
        run(registry, scoring_ours, scoring_setup, heavy),
        floor(registry, scoring_floor, scoring_setup, heavy),
        "<= 2x floor",
    )
    add(
        "scoring: drill-down (80 customers + count)",
        run(registry, drill_ours, drill_setup),
        floor(registry, drill_floor, drill_setup),
    )
    add(
        "value: recompute, every customer written",
        run(registry, value_ours, None, heavy, VALUE_TABLES),
        floor(registry, value_floor, None, heavy, VALUE_TABLES),
        "<= 2x floor",
    )
    add(
        "value: nightly re-run, nothing changed",
        run(registry, value_rerun_ours, value_rerun_setup, heavy, VALUE_TABLES),
    )
    add(
        "planner: ordinary day",
        run(registry, planner_ours, planner_setup()),
        floor(registry, planner_floor, planner_setup()),
        "<= 2 s",
    )
    add(
        "planner: day with 5 000 due",
        run(registry, planner_ours, planner_setup(5000)),
        floor(registry, planner_floor, planner_setup(5000)),
        "grows with the rows due",
    )
    add(
        "consent decision: all recipients",
        run(registry, decision_ours, recipients_setup),
        floor(registry, decision_floor, recipients_setup),
        "<= 1 s",
    )
    add(
        "mailing opt-out step: all recipients",
        run(registry, mailing_ours, mailing_setup),
        floor(registry, mailing_floor, mailing_setup),
    )
    decision_plain = rows[-2]["median_s"]
    # The budget's cost is a ratio to the decision without it: both are timed in turns, so the machine's drift
    # between two series does not enter it. First as a live database holds its contacts, then with a year of
    # traces behind the month (the budget reads its partners' index end to end), then as they are right after a
    # burst of sends, before autovacuum (each repetition inserts its 200 000 traces and rolls them back;
    # vacuumed, every one starts on the same heap).
    for older, label, target in (
        (0, "", "<= 1.5x the decision without, timed in turns: {:.2f}x"),
        (
            OLDER_CONTACTS,
            ", a year of traces behind the month",
            "{:.2f}x the decision without, timed in turns",
        ),
    ):
        write_contact_history(registry, older=older)
        try:
            plain, with_pressure = run_alternating(
                registry, decision_ours, [(recipients_setup, ()), (decision_pressure_setup, ())], TURNS
            )
        finally:
            drop_contact_history(registry)
        add(
            f"consent decision: all recipients, with a contact budget{label}",
            with_pressure,
            None,
            target.format(with_pressure[0] / plain[0]),
        )
    plain, fresh = run_alternating(
        registry, decision_ours, [(recipients_setup, ()), (decision_fresh_setup, ("mailing_trace",))], TURNS
    )
    # The last repetition's rolled-back traces would otherwise wake autovacuum during the paths that follow.
    _vacuum(registry, "mailing_trace")
    add(
        "consent decision: all recipients, with a contact budget, traces not yet vacuumed",
        fresh,
        None,
        f"{fresh[0] / plain[0]:.2f}x the decision without, timed in turns",
    )
    with_iys = run(registry, decision_ours, decision_iys_setup)
    add(
        "consent decision: all recipients, company with IYS",
        with_iys,
        None,
        f"{with_iys[0] / decision_plain:.2f}x the decision without IYS",
    )
    pushed = run(registry, iys_push_ours, iys_push_setup, heavy)
    add("IYS push: 100 000 queued changes", pushed, None, f"{LAST.get('requests', 0)} requests to IYS")

    # Over the internet each page costs IYS's round trip (the one the status checks are timed with): the pull
    # writes a page while the next one travels, so the database's work hides behind it up to its own length.
    def over_the_internet(env):
        return iys_pull_setup(env, STATUS_DELAY)

    pulled = run(registry, iys_pull_ours, over_the_internet, heavy, IYS_TABLES)
    requests = LAST.get("requests", 0)
    pull_floor = run(registry, iys_pull_floor, over_the_internet, heavy, IYS_TABLES)[0]
    add(
        f"IYS pull: 100 000 changes from IYS, each page answered in {STATUS_DELAY * 1000:.0f} ms",
        pulled,
        pull_floor,
        f"<= 2x reading the same pages: {requests} requests to IYS",
    )
    pulled = run(registry, iys_pull_ours, iys_pull_setup, heavy, IYS_TABLES)
    pull_floor = run(registry, iys_pull_floor, iys_pull_setup, heavy, IYS_TABLES)[0]
    add(
        "IYS pull: 100 000 changes from IYS, pages answered at once (a stand-in on this machine)",
        pulled,
        pull_floor,
        "what writing 100 000 changes costs beside reading them",
    )
    history = floor(registry, iys_history_rows, None, heavy, IYS_TABLES)
    add(
        "IYS pull: its 100 000 history rows alone, one raw INSERT (no consent, blacklist or note)",
        (history, 1, 100000),
        pull_floor,
        "the least any pull must write beside reading the pages at once",
    )
    reconciled = run(registry, iys_reconcile_ours, iys_reconcile_setup, heavy, IYS_TABLES)
    requests = LAST.get("requests", 0)
    reconcile_floor = run(registry, iys_reconcile_floor, iys_reconcile_setup, heavy, IYS_TABLES)[0]
    add(
        "IYS nightly reconciliation: 7 change files, 100 000 lines",
        reconciled,
        reconcile_floor,
        f"floor: reading the same files; {requests} requests to IYS",
    )
    fresh_status = run(registry, iys_status_ours, iys_status_setup(0), heavy)
    add(
        "IYS status checks: SMS mailing to every customer with a number, all confirmed last night",
        fresh_status,
        None,
        f"{LAST.get('recipients', 0)} recipients, {LAST.get('requests', 0)} requests to IYS",
    )
    stale_status = run(registry, iys_status_ours, iys_status_setup(STATUS_STALE), heavy)
    each = (stale_status[0] - fresh_status[0]) / max(LAST.get("requests", 0), 1)
    add(
        f"IYS status checks: SMS mailing to every customer with a number, {STATUS_STALE} asked again",
        stale_status,
        None,
        f"{LAST.get('requests', 0)} requests to IYS at {STATUS_PACE} a second, {STATUS_DELAY * 1000:.0f} ms "
        f"an answer: {each * 1000:.0f} ms each; all {MAILING_RECIPIENTS} asked: {each * MAILING_RECIPIENTS / 3600:.1f} h",
    )
    form_full, form_core = run_pair(registry, form_ours, form_setup, form_core_setup, REPS * 20)
    add("partner form: web_read", form_full)
    add("partner form: web_read, without affinity fields", form_core)
    share_s, share_q = form_full[0] - form_core[0], form_full[1] - form_core[1]
    add(
        "partner form: crm_affinity's share",
        (share_s, share_q, 0),
        None,
        f"<= 5 q, <= 10 % of core: {share_q} q, {100 * share_s / form_core[0]:.1f} %",
    )
    add("partner form: its two tabs' summaries, when opened", run(registry, tabs_ours, form_setup, REPS * 4))
    add("partner list: web_search_read 80", run(registry, list_ours, list_setup(80), REPS * 4))
    add("partner list: web_search_read 20", run(registry, list_ours, list_setup(20), REPS * 4))
    return rows, pg, lines


def main():
    results, meta = [], {}
    for size, _conf, db in TARGETS:
        registry = odoo.modules.registry.Registry(db)
        rows, pg, lines = measure(size, registry)
        results += rows
        meta[size] = {"database": db, "order_lines": lines}
    by_key = {(row["path"], row["size"]): row for row in results}
    sizes = [size for size, _conf, _db in TARGETS]
    for row in results:
        if row["size"] == sizes[-1] and len(sizes) > 1:
            first = by_key.get((row["path"], sizes[0]))
            if first and first["median_s"]:
                row["growth"] = round(row["median_s"] / first["median_s"], 2)
    stamp = datetime.datetime.now().strftime("%Y-%m-%dT%H%M%S")
    report = {
        "when": stamp,
        "machine": machine(),
        "postgresql": pg,
        "sizes": meta,
        "repetitions": REPS,
        "results": results,
    }
    os.makedirs(OUT_DIR, exist_ok=True)
    for name in (f"bench-{stamp}.json", "latest.json"):
        with open(os.path.join(OUT_DIR, name), "w", encoding="utf-8") as handle:
            json.dump(report, handle, indent=1)
    lines = [
        f"Machine: {report['machine']}, PostgreSQL {pg}; median of {REPS} runs "
        f"(heavy paths at 100 000: {max(2, REPS // 2)}; the contact budget and the decision without it: {TURNS} turns).",
        "",
        "| path | customers | rows | median s | queries | floor s | ours / floor | growth 10k→100k | target |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for row in results:
        cells = [
            row["path"],
            str(row["customers"]),
            str(row["items"] or ""),
            f"{row['median_s']:.3f}",
            str(row["queries"]),
            f"{row['floor_s']:.3f}" if row["floor_s"] else "",
            f"{row['ratio']:.2f}" if row["ratio"] else "",
            f"{row['growth']:.1f}" if row.get("growth") else "",
            row["target"] or "",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    table = "\n".join(lines)
    with open(os.path.join(OUT_DIR, "latest.md"), "w", encoding="utf-8") as handle:
        handle.write(table + "\n")
    print()
    print(table)


if __name__ == "__main__":
    main()
