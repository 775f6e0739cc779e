"""An experiment, run by hand (not in ``make bench``): does a company that sends at the learned best hour learn
each person better? (issue #31: the Bayes bound of ``bench_reach.py`` says the company's own history cannot
give 60 % of the oracle's lift at 4–10 contacts; more telling evidence would have to come from where the
messages go.)

The training contacts of ``bench_reach.py``'s populations are split in ``rounds`` periods; in the first the
company sends as usual, in the later ones a ``share`` of each person's contacts goes at the choice the learner
gives after the periods before (``explore``: that choice tilted by a random factor e^(explore × N(0, 1)) per
moment, a simple exploration; ``sample``: posterior sampling instead, each moment's rate r drawn from
Beta(r·m, (1 − r)·m) with m = ``sample`` + the contacts seen at and near that moment). Printed: the oracle's lift captured at 4–10 contacts on each population and
their mean, with the learned choice sent in the held-out week as ``bench_reach.py`` does.

Usage: reach_closed_loop.py [PEOPLE]
"""

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_reach as b  # noqa: E402 - the evaluation's own population and learner


def run(shape, seed, people=20000, rounds=3, share=0.5, explore=0.0, sample=0.0):
    """The oracle's lift captured per bucket of contacts after ``rounds`` periods of training."""
    rng = np.random.default_rng(seed)
    truth, segment, allowed, week = b.population(shape, rng, people)
    counts = b.contact_counts(shape, rng, people)
    n = np.zeros((people, 3, b.SLOTS))
    k = np.zeros_like(n)
    a = np.zeros_like(n)
    activity = np.zeros((people, b.SLOTS))
    evidence = (n, k, a, activity)
    # A person's contacts are spread evenly over the periods.
    person_all = np.repeat(np.arange(people), counts)
    j = np.concatenate([np.arange(c) for c in counts]) if len(person_all) else np.array([], int)
    rnd = (j * rounds) // np.maximum(counts[person_all], 1)
    chooser_rng = np.random.default_rng(seed + 7)
    for r in range(rounds):
        ps = person_all[rnd == r]
        if r > 0 and share > 0:
            best = chooser_rng.random(len(ps)) < share
            rates = b.learn(n, k, a, activity, segment)
            if sample:
                weight = sample + b.reach.smooth(n)
                rate = np.clip(rates, 1e-4, 1 - 1e-4)
                score = chooser_rng.beta(rate * weight, (1 - rate) * weight)
            elif explore:
                noise = np.exp(explore * chooser_rng.standard_normal(rates.shape))
                score = rates * noise
            else:
                score = rates
            choice = b.choose(score, allowed)
            pb = ps[best]
            pb = pb[choice[pb] >= 0]
            cb, sb = np.divmod(choice[pb], b.SLOTS)
            b.outcomes(shape, rng, truth, week, (pb, cb, sb), evidence)
            ps = ps[~best]
        sent = b.company_sends(rng, allowed, ps)
        b.outcomes(shape, rng, truth, week, sent, evidence)
    rates = b.learn(n, k, a, activity, segment)
    flat = truth.reshape(people, -1)
    default = b.choose(np.zeros_like(truth), allowed)
    learned = b.choose(rates, allowed)
    oracle = b.choose(truth, allowed)
    out = []
    for _label, lo, hi in b.BUCKETS:
        idx = np.flatnonzero((default >= 0) & (counts >= lo) & (counts <= hi))
        rd, rl, ro = (flat[idx, c[idx]].mean() for c in (default, learned, oracle))
        out.append(round(100 * (rl - rd) / (ro - rd), 1))
    return out


CONFIGURATIONS = (
    {"share": 0.0},
    {"share": 0.5},
    {"share": 1.0},
    {"share": 0.5, "explore": 0.5},
    {"share": 1.0, "explore": 0.5},
    {"share": 1.0, "sample": 5.0},
    {"share": 1.0, "sample": 20.0},
)


def main(people=10000):
    for configuration in CONFIGURATIONS:
        captured = [
            float(run(shape, 42 + i, people=int(people), **configuration)[2])
            for i, shape in enumerate(b.SHAPES)
        ]
        print(configuration, captured, round(sum(captured) / len(captured), 1), flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:])
