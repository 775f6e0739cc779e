"""make bench: learned reachability (issue #31), its speed on a database and its worth on simulated people.

Usage: bench_reach.py RESULTS_DIR [CONF DB]

1. **Evaluation** (always; seeded, reproducible, no database): simulated populations with hidden true
   preferences learn through the very functions the product runs (``crm_affinity/tools/reachability.py``),
   then one message per person is sent in a held-out week by three policies: the company's default hour and
   channel, the learned choice, and an oracle that knows the truth; every policy picks only among the
   person's allowed moments. Several differently shaped populations are run (see ``SHAPES``).
2. **Speed** (with CONF and DB): 100 000 customers and three years of traces (≥ 2 million) written in SQL,
   learned from nothing, then again after one more day of traces.

Results: RESULTS_DIR/reach.json, and the table printed.
"""

import dataclasses
import datetime
import importlib.util
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("reachability", ROOT / "crm_affinity/tools/reachability.py")
reach = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(reach)

SLOTS = reach.SLOTS
CHANNELS = ("email", "sms", "phone")
DEFAULT_CHANNEL = 0
DEFAULT_SLOT = 1 * 24 + 10  # Tuesday 10:00: the company's usual send
BUCKETS = (("0", 0, 0), ("1-3", 1, 3), ("4-10", 4, 10), (">10", 11, 10**6))
SEGMENTS = 4
# People per bucket and population the Bayes bound is computed for (a sample: it weighs every candidate).
BOUND_SAMPLE = 1500


@dataclasses.dataclass(frozen=True)
class Shape:
    """How a simulated population is shaped."""

    name: str
    segment_peaks: tuple = (10.0, 13.0, 19.0, 21.0)  # each segment's usual weekday peak hour
    peak_sd: float = 2.0  # how far a person strays from their segment's peak
    width: float = 1.5  # width of a person's good hours (sd, hours)
    weekend_shift: float = 1.0  # weekend peak later by about this much
    second_peak: float = 0.0  # weight of a second peak 8 hours off (bimodal people)
    none_share: float = 0.15  # people with no hour preference at all
    channel_alpha: tuple = (2.0, 1.0, 0.7)  # channel mix (Dirichlet)
    level: tuple = (0.15, 0.7)  # a person's best response chance, uniform in this range
    late: float = 0.9  # of the e-mails and SMS a person reads but not promptly, the share read later
    noise: float = 0.05  # share of outcomes replaced by a coin
    contacts: tuple = (0.2, 0.3, 0.3, 0.2)  # shares of people with 0, 1-3, 4-10, 11-30 training contacts
    held_out: bool = False  # written before the learner was tuned, its figures first read after: not tuned on


SHAPES = (
    Shape("seeded"),
    Shape(
        "bimodal, SMS-heavy", second_peak=0.8, channel_alpha=(0.7, 2.0, 1.0), segment_peaks=(8, 12, 17, 22)
    ),
    Shape(
        "weekend-late, wide hours", weekend_shift=4.0, width=3.0, peak_sd=3.0, segment_peaks=(11, 15, 20, 23)
    ),
    Shape("noisy, many indifferent", noise=0.25, none_share=0.4, level=(0.05, 0.4), late=0.3),
    Shape("phone people, narrow hours", channel_alpha=(0.5, 0.5, 2.5), width=0.8, late=0.2),
    # Held out (#31, second round): written before the learner was changed, read only at the end.
    Shape(
        "held-out: early birds, e-mail readers",
        segment_peaks=(6, 7, 9, 16),
        peak_sd=1.0,
        width=1.0,
        weekend_shift=2.0,
        channel_alpha=(3.0, 0.5, 0.5),
        level=(0.3, 0.9),
        late=0.6,
        noise=0.1,
        none_share=0.1,
        held_out=True,
    ),
    Shape(
        "held-out: segments say little, mixed channels",
        segment_peaks=(14, 14, 14, 14),
        peak_sd=5.0,
        width=2.0,
        second_peak=0.4,
        weekend_shift=-2.0,
        channel_alpha=(1.0, 1.0, 1.0),
        noise=0.15,
        none_share=0.25,
        contacts=(0.1, 0.3, 0.4, 0.2),
        held_out=True,
    ),
)


def bump(peak, width):
    """(people, 24): a circular Gaussian around each person's peak hour."""
    hours = np.arange(24)[None, :]
    distance = np.abs(hours - peak[:, None])
    distance = np.minimum(distance, 24 - distance)
    return np.exp(-(distance**2) / (2 * width**2))


def population(shape, rng, people):
    """The hidden truth: response chance (people, channels, 168), segments, allowed moments."""
    segment = rng.integers(0, SEGMENTS, people)
    peaks = np.asarray(shape.segment_peaks, dtype=float)[segment] + rng.normal(0, shape.peak_sd, people)
    weekday = bump(peaks % 24, shape.width) + shape.second_peak * bump((peaks + 8) % 24, shape.width)
    weekend = bump((peaks + rng.normal(shape.weekend_shift, 1.0, people)) % 24, shape.width)
    weekend_factor = rng.uniform(0.3, 1.2, people)[:, None]
    day_factor = rng.uniform(0.8, 1.0, (people, 5, 1))
    week = np.concatenate(
        [weekday[:, None, :] * day_factor, np.repeat((weekend * weekend_factor)[:, None, :], 2, axis=1)],
        axis=1,
    ).reshape(people, SLOTS)
    indifferent = rng.random(people) < shape.none_share
    week[indifferent] = 0.6
    week = week / week.max(axis=1, keepdims=True)
    mix = rng.dirichlet(shape.channel_alpha, people)
    mix = mix / mix.max(axis=1, keepdims=True)
    level = rng.uniform(*shape.level, people)[:, None]
    truth = 0.01 + level[:, :, None] * mix[:, :, None] * week[:, None, :] * 0.98
    # Allowed moments: withdrawn channels, contact windows, quiet days; as the decision would say.
    consent = rng.random((people, len(CHANNELS))) > 0.15
    window = np.ones((people, SLOTS), dtype=bool)
    kind = rng.random(people)
    hour = np.arange(SLOTS) % 24
    day = np.arange(SLOTS) // 24
    business = (day < 5) & (hour >= 9) & (hour < 18)
    evening = (hour >= 18) & (hour < 22)
    window[kind < 0.15] = business
    window[(kind >= 0.15) & (kind < 0.25)] = evening
    window[(kind >= 0.25) & (kind < 0.3)] = day >= 5
    quiet = rng.random(people) < 0.1
    for d in range(7):
        window[quiet & (rng.random(people) < 0.3), d * 24 : (d + 1) * 24] = False
    allowed = consent[:, :, None] & window[:, None, :]
    return truth, segment, allowed, week


def send_distribution():
    """Where the company sent in the training period: mostly its usual hour, business hours, sometimes any."""
    hour = np.arange(SLOTS) % 24
    day = np.arange(SLOTS) // 24
    weights = np.where((day < 5) & (hour >= 9) & (hour < 18), 1.0, 0.0)
    weights += np.where((hour >= 8) & (hour < 22), 0.25, 0.0)
    weights[DEFAULT_SLOT] += weights.sum() * 0.4
    weights[3 * 24 + 10] += weights.sum() * 0.1
    return weights / weights.sum()


def company_sends(rng, allowed, person):
    """The channel and moment of each contact (``person``: one entry per contact) as the company picks them:
    its channel habit over the channels the person allows, its usual moments among the allowed ones. Contacts of
    people who allow no channel are dropped."""
    channel_weights = np.array([0.6, 0.3, 0.1])[None, :] * allowed.any(axis=2)
    ok = channel_weights.sum(axis=1) > 0
    person = person[ok[person]]
    cw = channel_weights[person] / channel_weights[person].sum(axis=1, keepdims=True)
    channel = (rng.random(len(person))[:, None] > np.cumsum(cw, axis=1)).sum(axis=1)
    slot_weights = send_distribution()[None, :] * allowed[person, channel]
    slot_weights /= slot_weights.sum(axis=1, keepdims=True)
    slot = (rng.random(len(person))[:, None] > np.cumsum(slot_weights, axis=1)).sum(axis=1)
    slot = np.minimum(slot, SLOTS - 1)
    return person, channel, slot


def outcomes(shape, rng, truth, week, sent, evidence):
    """The answers to the contacts ``sent`` (person, channel, slot), added to ``evidence`` (n, k, a, activity)
    as the learner credits them."""
    person, channel, slot = sent
    n, k, a, activity = evidence
    chance = truth[person, channel, slot]
    answered = rng.random(len(person)) < chance
    noisy = rng.random(len(person)) < shape.noise
    answered = np.where(noisy, rng.random(len(person)) < 0.3, answered)
    np.add.at(n, (person, channel, slot), 1.0)
    np.add.at(k, (person, channel, slot), answered.astype(float))
    # A missed e-mail or SMS is sometimes read later, in the person's good hours of the next two days: activity
    # at the hour it was read (``PROMPT_HOURS`` and after).
    # Read at all, at about the person's level on the channel; what was not read promptly is read later.
    eventual = truth[person, channel].max(axis=1)
    late_chance = shape.late * np.clip((eventual - chance) / (1 - chance), 0, 1)
    late = (~answered) & (channel < 2) & (rng.random(len(person)) < late_chance)
    lp, lc, ls = person[late], channel[late], slot[late]
    offsets = np.arange(reach.PROMPT_HOURS + 1, 48)
    later = (ls[:, None] + offsets[None, :]) % SLOTS
    w = week[lp[:, None], later]
    w /= w.sum(axis=1, keepdims=True)
    pick = (rng.random(len(lp))[:, None] > np.cumsum(w, axis=1)).sum(axis=1)
    read = later[np.arange(len(lp)), np.minimum(pick, len(offsets) - 1)]
    np.add.at(activity, (lp, read), 1.0)
    np.add.at(a, (lp, lc, read), 1.0)


def contact_counts(shape, rng, people):
    """How many training contacts each person had, drawn by the population's buckets."""
    bucket = rng.choice(4, people, p=shape.contacts)
    return np.select(
        [bucket == 0, bucket == 1, bucket == 2],
        [0, rng.integers(1, 4, people), rng.integers(4, 11, people)],
        rng.integers(11, 31, people),
    )


def train(shape, rng, truth, allowed, week):
    """The evidence a company gathers: (n, k) per person, channel and slot, credited as the learner does."""
    people = truth.shape[0]
    counts = contact_counts(shape, rng, people)
    evidence = (
        np.zeros((people, len(CHANNELS), SLOTS)),
        np.zeros((people, len(CHANNELS), SLOTS)),
        np.zeros((people, len(CHANNELS), SLOTS)),
        np.zeros((people, SLOTS)),
    )
    sent = company_sends(rng, allowed, np.repeat(np.arange(people), counts))
    outcomes(shape, rng, truth, week, sent, evidence)
    return (*evidence, counts)


def learn(n, k, a, activity, segment):
    """Propensities (people, channels, 168) from the evidence, pooled as the product pools them."""
    rates = np.zeros_like(n)
    # As the product reads it: later answers, and prompt answers for a share (``PROMPT_ACTIVITY``).
    activity = activity + reach.PROMPT_ACTIVITY * k.sum(axis=1)
    for c in range(n.shape[1]):
        moments = reach.level_moments(n[:, c].sum(axis=1), (k[:, c] + a[:, c]).sum(axis=1))
        company = reach.company_pattern(
            n[:, c].sum(axis=0),
            k[:, c].sum(axis=0),
            a[:, c].sum(axis=0),
            activity.sum(axis=0),
            reach.level_strength(*moments),
        )
        patterns = [
            reach.segment_pattern(
                n[segment == s, c].sum(axis=0),
                k[segment == s, c].sum(axis=0),
                a[segment == s, c].sum(axis=0),
                activity[segment == s].sum(axis=0),
                company,
            )
            for s in range(SEGMENTS)
        ]
        rates[:, c] = reach.person_rates(n[:, c], k[:, c], a[:, c], activity, [patterns[s] for s in segment])
    return rates


def choose(score, allowed):
    """Each person's best allowed (channel, slot): ties to the company's default order. -1 if none."""
    people = score.shape[0]
    # The default order: the default channel first, then from the default slot on, in time.
    channel_rank = np.array([0, 1, 2])
    slot_rank = (np.arange(SLOTS) - DEFAULT_SLOT) % SLOTS
    tie = (channel_rank[:, None] * SLOTS + slot_rank[None, :]).reshape(-1)
    flat = np.where(allowed, score, -np.inf).reshape(people, -1)
    # Highest score, then lowest tie rank.
    key = flat - 1e-9 * tie[None, :] / tie.max()
    best = key.argmax(axis=1)
    none = ~np.isfinite(flat.max(axis=1))
    best[none] = -1
    return best


def bayes_bound(shape, seed, segment, allowed, n, k, a, activity, sample, candidates=6000):
    """What the best possible learner would choose for ``sample`` people from the same evidence: a Bayes
    posterior over the population's own generator (``population`` run again, ``candidates`` people per
    segment, weighted by the likelihood of each person's contacts, prompt answers, later reads and their
    hours), its posterior mean chance maximised over the allowed moments. It knows what no learner knows (how
    the population was made), so the share it captures bounds what any learner can capture from this
    evidence."""
    rng = np.random.default_rng(seed + 1000)
    truth, cand_segment, _allowed, week = population(shape, rng, candidates * SEGMENTS)
    # Where a later read falls: the person's hours over the two days after the usual send.
    window = (DEFAULT_SLOT + np.arange(reach.PROMPT_HOURS + 1, 48)) % SLOTS
    log_read_at = np.log(week / week[:, window].sum(axis=1, keepdims=True) + 1e-12)
    chance = (1 - shape.noise) * truth + shape.noise * 0.3
    log_yes, log_no = np.log(chance), np.log1p(-chance)
    eventual = truth.max(axis=2)
    groups = {}
    for s in range(SEGMENTS):
        cands = cand_segment == s
        groups[s] = (truth[cands], log_yes[cands], log_no[cands], eventual[cands], log_read_at[cands])
    choices = np.empty(len(sample), dtype=int)
    weights = [None] * len(sample)
    for row, person in enumerate(sample):
        g_truth, g_yes, g_no, g_eventual, g_read_at = groups[segment[person]]
        channel, slot = np.nonzero(n[person])
        yes, tried = k[person, channel, slot], n[person, channel, slot]
        loglik = (yes * g_yes[:, channel, slot] + (tried - yes) * g_no[:, channel, slot]).sum(axis=1)
        for c in (0, 1):  # a missed e-mail or SMS read later, at about the person's level on the channel
            missed = n[person, c] - k[person, c]
            if missed.sum() <= 0:
                continue
            at = np.flatnonzero(missed)
            prompt = g_truth[:, c, at]
            late = shape.late * np.clip((g_eventual[:, c][:, None] - prompt) / (1 - prompt), 0, 1)
            late = (late * missed[at]).sum(axis=1) / missed.sum() * (1 - shape.noise) + 1e-6
            reads = a[person, c].sum()
            loglik += reads * np.log(late) + (missed.sum() - reads) * np.log1p(-np.minimum(late, 1 - 1e-9))
        seen = np.flatnonzero(activity[person])
        if len(seen):
            loglik += (activity[person, seen] * g_read_at[:, seen]).sum(axis=1)
        weights[row] = np.exp(loglik - loglik.max())
    for s, (g_truth, *_rest) in groups.items():
        rows = np.flatnonzero(segment[sample] == s)
        if not len(rows):
            continue
        w = np.array([weights[row] for row in rows])
        w /= w.sum(axis=1, keepdims=True)
        posterior = (w @ g_truth.reshape(len(g_truth), -1)).reshape(len(rows), *g_truth.shape[1:])
        choices[rows] = choose(posterior, allowed[sample[rows]])
    return choices


def evaluate(shape, seed=42, people=20000):
    rng = np.random.default_rng(seed)
    truth, segment, allowed, week = population(shape, rng, people)
    n, k, a, activity, counts = train(shape, rng, truth, allowed, week)
    rates = learn(n, k, a, activity, segment)
    flat_truth = truth.reshape(people, -1)
    default = choose(np.zeros_like(truth), allowed)  # the default order alone
    learned = choose(rates, allowed)
    oracle = choose(truth, allowed)
    reachable = default >= 0
    allowed_flat = allowed.reshape(people, -1)
    outside = sum(
        int((~allowed_flat[np.flatnonzero(reachable), choice[reachable]]).sum())
        for choice in (default, learned, oracle)
    )
    buckets = [
        (label, np.flatnonzero(reachable & (counts >= low) & (counts <= high)))
        for label, low, high in BUCKETS
    ]
    # The bound's people, a sample of each bucket, weighed against one set of candidates for them all.
    samples = [
        np.sort(np.random.default_rng(seed + 2000).permutation(idx)[:BOUND_SAMPLE]) for _label, idx in buckets
    ]
    bounds = np.split(
        bayes_bound(shape, seed, segment, allowed, n, k, a, activity, np.concatenate(samples)),
        np.cumsum([len(sample) for sample in samples])[:-1],
    )
    rows = []
    for (label, idx), sample, bound in zip(buckets, samples, bounds, strict=True):
        rate = {
            name: float(flat_truth[idx, choice[idx]].mean()) if len(idx) else 0.0
            for name, choice in (("default", default), ("learned", learned), ("oracle", oracle))
        }
        lift = rate["oracle"] - rate["default"]
        # The bound on a sample of the bucket, beside the learned choice on the same people.
        on_sample = {
            name: float(flat_truth[sample, choice].mean()) if len(sample) else 0.0
            for name, choice in (
                ("default", default[sample]),
                ("learned", learned[sample]),
                ("oracle", oracle[sample]),
                ("bound", bound),
            )
        }
        sample_lift = on_sample["oracle"] - on_sample["default"]
        rows.append(
            {
                "contacts": label,
                "people": len(idx),
                "default_pct": round(100 * rate["default"], 2),
                "learned_pct": round(100 * rate["learned"], 2),
                "oracle_pct": round(100 * rate["oracle"], 2),
                "captured_pct": round(100 * (rate["learned"] - rate["default"]) / lift, 1)
                if lift > 0
                else None,
                "bound_sample": len(sample),
                "bound_captured_pct": round(
                    100 * (on_sample["bound"] - on_sample["default"]) / sample_lift, 1
                )
                if sample_lift > 0
                else None,
                "learned_on_sample_pct": round(
                    100 * (on_sample["learned"] - on_sample["default"]) / sample_lift, 1
                )
                if sample_lift > 0
                else None,
            }
        )
    return {
        "shape": shape.name,
        "seed": seed,
        "people": people,
        "sends_outside_allowed": outside,
        "buckets": rows,
    }


def speed(conf, db):
    """100 000 customers, three years of traces in SQL; learned from nothing, then after a day."""
    import odoo  # noqa: PLC0415 - only this part needs Odoo

    odoo.tools.config.parse_config(["-c", conf, "-d", db])
    registry = odoo.modules.registry.Registry(db)
    figures = {}
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        cr.execute("SELECT count(*) FROM res_partner WHERE ref LIKE 'reach-%'")
        if cr.fetchone()[0] < 100000:
            started = time.perf_counter()
            seed_traces(cr, env)
            cr.commit()
            figures["seed_s"] = round(time.perf_counter() - started, 1)
        cr.execute("SELECT count(*) FROM mailing_trace WHERE model = 'res.partner'")
        figures["traces"] = cr.fetchone()[0]
        cr.execute("SELECT count(*) FROM res_partner WHERE ref LIKE 'reach-%'")
        figures["customers"] = cr.fetchone()[0]
        reachability = env["affinity.reachability"]
        reachability._forget()
        cr.commit()
        now = odoo.fields.Datetime.now()
        started = time.perf_counter()
        reachability._learn(until=now)
        cr.commit()
        figures["learn_from_nothing_s"] = round(time.perf_counter() - started, 1)
        cr.execute("SELECT count(*) FROM affinity_reachability")
        figures["rows"] = cr.fetchone()[0]
        # A day's new traces: one mailing to every customer, a third of it opened within the day.
        day = now + datetime.timedelta(days=1)
        cr.execute(
            """
            INSERT INTO mailing_trace (model, res_id, trace_type, trace_status, sent_datetime, open_datetime,
                                       email, create_date, write_date)
            SELECT 'res.partner', p.id, 'mail', CASE WHEN random() < 0.33 THEN 'open' ELSE 'sent' END,
                   %s::timestamp + random() * interval '2 hours', NULL, p.email_normalized, now(), now()
              FROM res_partner p WHERE p.ref LIKE 'reach-%%'
            """,
            [now + datetime.timedelta(hours=10)],
        )
        cr.execute(
            "UPDATE mailing_trace SET open_datetime = sent_datetime + random() * interval '10 hours' "
            "WHERE trace_status = 'open' AND sent_datetime > %s",
            [now],
        )
        cr.execute("SELECT count(*) FROM mailing_trace WHERE sent_datetime > %s", [now])
        figures["traces_last_day"] = cr.fetchone()[0]
        cr.commit()
        started = time.perf_counter()
        reachability._learn(until=day)
        cr.commit()
        figures["relearn_after_a_day_s"] = round(time.perf_counter() - started, 1)
        # The bench database stays as it was: the day's traces go, the next run learns from nothing again.
        cr.execute("DELETE FROM mailing_trace WHERE sent_datetime > %s", [now])
        cr.commit()
        partners = env["res.partner"].search([("ref", "like", "reach-")], limit=10000)
        channels = env.ref("crm_affinity.affinity_channel_email") | env.ref(
            "crm_affinity.affinity_channel_sms"
        )
        started = time.perf_counter()
        best = reachability._best_moments(partners, channels, now, now + datetime.timedelta(days=1))
        figures["best_moments_10000_partners_24h_s"] = round(time.perf_counter() - started, 2)
        figures["best_moments_found"] = len(best)
        cr.rollback()
    return figures


def seed_traces(cr, env):
    """100 000 customers, each with a hidden good hour; ~2.2 million traces over three years, in SQL."""
    company = env.company.id
    cr.execute(
        """
        INSERT INTO res_partner (name, ref, email, email_normalized, mobile, tz, company_id, active, type,
                                 create_date, write_date, is_company, autopost_bills)
        SELECT 'Reach ' || i, 'reach-' || i, 'reach' || i || '@example.com', 'reach' || i || '@example.com',
               '+90532' || lpad(i::text, 7, '0'), 'Europe/Istanbul', %s, TRUE, 'contact', now(), now(), FALSE,
               'ask'
          FROM generate_series(1, 100000) i
        """,
        [company],
    )
    cr.execute(
        """
        INSERT INTO mailing_trace (model, res_id, trace_type, trace_status, sent_datetime, open_datetime,
                                   email, create_date, write_date)
        SELECT 'res.partner', p.id, CASE WHEN mod(g, 3) = 0 THEN 'sms' ELSE 'mail' END,
               CASE WHEN random() < 0.35 THEN 'open' ELSE 'sent' END, s.at,
               NULL, p.email_normalized, s.at, s.at
          FROM res_partner p
          CROSS JOIN LATERAL generate_series(1, 22) g
          CROSS JOIN LATERAL (SELECT now() - (random() * interval '1095 days') AS at) s
         WHERE p.ref LIKE 'reach-%'
        """
    )
    cr.execute(
        """
        UPDATE mailing_trace t
           SET open_datetime = t.sent_datetime + ((mod(('x' || substr(md5(t.res_id::text), 1, 2))::bit(8)::int, 14)
                                + random() * 6) * interval '1 hour')
         WHERE t.trace_status = 'open' AND t.model = 'res.partner'
        """
    )
    cr.execute("ANALYZE mailing_trace")
    cr.execute("ANALYZE res_partner")


def table(results):
    lines = [
        "| population | contacts | people | default % | learned % | oracle % | oracle's lift captured "
        "| best possible (Bayes bound) | learned, same sample |"
    ]
    lines.append("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")

    def pct(value):
        return "n/a" if value is None else f"{value} %"

    for result in results:
        for row in result["buckets"]:
            lines.append(
                f"| {result['shape']} | {row['contacts']} | {row['people']} | {row['default_pct']} | "
                f"{row['learned_pct']} | {row['oracle_pct']} | {pct(row['captured_pct'])} | "
                f"{pct(row['bound_captured_pct'])} | {pct(row['learned_on_sample_pct'])} |"
            )
    outside = sum(result["sends_outside_allowed"] for result in results)
    lines.append(f"\nSends outside the allowed moments, all populations and policies: {outside}")
    return "\n".join(lines)


def main(results_dir, conf=None, db=None):
    started = time.perf_counter()
    results = [evaluate(shape, seed=42 + i) for i, shape in enumerate(SHAPES)]
    figures = {"evaluation": results, "evaluation_s": round(time.perf_counter() - started, 1)}
    print(table(results))
    if conf and db:
        figures["speed"] = speed(conf, db)
        print(json.dumps(figures["speed"], indent=2))
    Path(results_dir).mkdir(parents=True, exist_ok=True)
    Path(results_dir, "reach.json").write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main(*sys.argv[1:])
