"""The reachability learner's arithmetic, pure and set-based: evidence counts in, propensities out.

Used by ``affinity.reachability`` on what the database holds and by ``scripts/bench_reach.py`` on simulated
populations, so the evaluation measures the very function the product runs.

A week has 168 slots, ``weekday * 24 + hour`` in the person's own time zone (Monday 0). For one person and
channel, the evidence is ``n`` contacts and ``k`` answers per slot, recency-weighted. The propensity is a
Beta-Binomial posterior mean shrunk three ways, each in proportion to how much was shown:

1. the company's pattern per channel and slot, shrunk toward the company's overall rate on that channel
   (``COMPANY_STRENGTH`` pseudo-contacts);
2. the person's segment's pattern, shrunk toward the company's (``SEGMENT_STRENGTH``);
3. the person: their level on the channel (all slots together) scales the segment's shape
   (``LEVEL_STRENGTH``), then each slot's own answers move it (``PRIOR_STRENGTH``).

Before shrinking, counts are pooled over neighbouring hours and over the same hour on days of the same kind
(weekdays together, the weekend together) with a small kernel: a person seen three times on Tuesday at 19:00
says something about Wednesday at 19:00 and Tuesday at 20:00.
"""

import datetime
from typing import NamedTuple

import numpy as np

SLOTS = 168
# Pseudo-contacts behind each prior; documented in the README's method.
PRIOR_STRENGTH = 6.0
LEVEL_STRENGTH = 4.0
SEGMENT_STRENGTH = 20.0
COMPANY_STRENGTH = 20.0
# With nothing learned anywhere: every slot alike, the caller's order of channels and moments decides.
FLAT_RATE = 0.1
# Kernel: weight of the hour before and after, and of the same hour on another day of the same kind.
NEIGHBOUR_HOUR = 0.3
SAME_KIND_DAY = 0.1
# An answer within this delay of the contact is credited to the contact's slot; a later one shows the hour the
# person reads, credited to its own slot as a contact answered there.
PROMPT_HOURS = 2
# A person has a learned profile on a channel once this much recency-weighted evidence is behind it.
LEARNED_MIN = 0.5
# A slot the person was seen in joins the block the reason names when its propensity stands this share of the
# way from the person's median to the chosen slot's.
BLOCK_SHARE = 0.5


class BestMoment(NamedTuple):
    """A person's best allowed moment: when, by which channel, how likely an answer, and why.

    ``observations`` and ``responses`` are the person's recency-weighted counts, rounded, over the block of
    slots the reason names (the chosen slot and its equally good neighbours) on that channel."""

    when: datetime.datetime
    channel_id: int
    propensity: float
    observations: int
    responses: int
    learned: bool
    reason: str


def slot_of(weekday, hour):
    """The week's slot of a local weekday (Monday 0) and hour."""
    return weekday * 24 + hour


def smooth(counts):
    """Pool counts (..., 168) over neighbouring hours and the same hour on days of the same kind."""
    week = np.asarray(counts, dtype=float).reshape(*np.shape(counts)[:-1], 7, 24)
    pooled = week + NEIGHBOUR_HOUR * (np.roll(week, 1, axis=-1) + np.roll(week, -1, axis=-1))
    weekdays = week[..., :5, :].sum(axis=-2, keepdims=True)
    weekend = week[..., 5:, :].sum(axis=-2, keepdims=True)
    same_kind = np.concatenate([np.repeat(weekdays, 5, axis=-2), np.repeat(weekend, 2, axis=-2)], axis=-2)
    pooled = pooled + SAME_KIND_DAY * (same_kind - week)
    return pooled.reshape(np.shape(counts))


def company_rates(n, k):
    """The company's propensity per slot (..., 168) from its counts, shrunk toward its overall rate."""
    n, k = np.asarray(n, dtype=float), np.asarray(k, dtype=float)
    total_n, total_k = n.sum(axis=-1, keepdims=True), k.sum(axis=-1, keepdims=True)
    overall = (total_k + 1.0 * FLAT_RATE) / (total_n + 1.0)
    return (smooth(k) + COMPANY_STRENGTH * overall) / (smooth(n) + COMPANY_STRENGTH)


def segment_rates(n, k, company):
    """A segment's propensity per slot (..., 168), shrunk toward its company's pattern ``company``."""
    n, k = np.asarray(n, dtype=float), np.asarray(k, dtype=float)
    return (smooth(k) + SEGMENT_STRENGTH * company) / (smooth(n) + SEGMENT_STRENGTH)


def person_rates(n, k, prior):
    """Each person's propensity per slot (people, 168) from their counts and their segment's pattern.

    :param n: contacts (people, 168), recency-weighted
    :param k: answers (people, 168)
    :param prior: the segment's pattern (people, 168) or (168,)
    """
    n, k = np.asarray(n, dtype=float), np.asarray(k, dtype=float)
    prior = np.broadcast_to(np.asarray(prior, dtype=float), n.shape)
    # The person's level on the channel scales the segment's shape: mostly answering, or mostly not.
    level_prior = prior.mean(axis=-1, keepdims=True)
    level = (k.sum(axis=-1, keepdims=True) + LEVEL_STRENGTH * level_prior) / (
        n.sum(axis=-1, keepdims=True) + LEVEL_STRENGTH
    )
    scaled = np.clip(prior * (level / np.maximum(level_prior, 1e-9)), 0.0, 1.0)
    return (smooth(k) + PRIOR_STRENGTH * scaled) / (smooth(n) + PRIOR_STRENGTH)


def best_block(rates, n, slot):
    """The block of one person's week the reason names around ``slot``: (days, first hour, end hour).

    Only hours where the person was seen (``n`` > 0) and which stand well above their usual level (half way
    from the median to the chosen slot's propensity) join it; the days are those where the same hours do too.
    A chosen slot the person was never seen in is a block of its own."""
    rates, n = np.asarray(rates, dtype=float), np.asarray(n, dtype=float)
    best = rates[slot]
    floor = np.median(rates) + BLOCK_SHARE * (best - np.median(rates))
    day, hour = divmod(slot, 24)
    if n[slot] <= 0:
        return [day], hour, hour + 1

    def strong(d, h):
        return n[d * 24 + h] > 0 and rates[d * 24 + h] >= floor

    first, last = hour, hour
    while first > 0 and strong(day, first - 1):
        first -= 1
    while last < 23 and strong(day, last + 1):
        last += 1
    days = [d for d in range(7) if d == day or all(strong(d, h) for h in range(first, last + 1))]
    return days, first, last + 1
