"""The reachability learner's arithmetic, pure and set-based: evidence counts in, propensities out.

Used by ``affinity.reachability`` on what the database holds and by ``scripts/bench_reach.py`` on simulated
populations, so the evaluation measures the very function the product runs.

A week has 168 slots, ``weekday * 24 + hour`` in the person's own time zone (Monday 0). Per person, channel
and slot the evidence is recency-weighted: ``n`` contacts, ``k`` of them answered promptly (within
``PROMPT_HOURS``), and ``a`` activity: the answers of any kind at the hour they happened (an e-mail read late
in the evening, a reply, a message the person wrote in, a call picked up).

The propensity of a slot is ``level × shape(slot) / shape(where contacts usually go)``, then corrected by the
slot's own prompt answers; every part is a Beta or Dirichlet posterior shrunk toward the person's segment,
itself shrunk toward the company, in proportion to how much was shown:

- *shape*: when the person is active, a Dirichlet posterior over the 168 slots from their activity on every
  channel (later answers, and prompt answers for ``PROMPT_ACTIVITY``), with ``SHAPE_STRENGTH`` pseudo-answers spread as their segment's shape (``SEGMENT_STRENGTH`` toward
  the company's, the company's ``COMPANY_STRENGTH`` toward a flat week);
- *level*: how often they answer this channel, a Beta posterior with pseudo-contacts at their segment's
  level; how many is fitted per company and channel by moments (``level_strength``): the less people truly
  differ on a channel beyond the noise of their few contacts, the more a person's level is their segment's
  (``LEVEL_STRENGTH`` while fewer than ``LEVEL_MIN_PEOPLE`` people show enough to fit it);
- *slot*: the slot's own contacts and prompt answers move the result with ``PRIOR_STRENGTH`` pseudo-contacts.

Before pooling, counts are spread over neighbouring hours and over the same hour on days of the same kind
(weekdays together, the weekend together) with a small kernel: a person seen three times on Tuesday at 19:00
says something about Wednesday at 19:00 and Tuesday at 20:00.
"""

import datetime
from typing import NamedTuple

import numpy as np

SLOTS = 168
# Pseudo-observations behind each prior; documented in the README's method.
PRIOR_STRENGTH = 6.0
LEVEL_STRENGTH = 4.0
# Fitting the level's strength by moments: people with at least this much recency-weighted contact on the
# channel take part, at least this many of them, and the strength stays within these bounds.
LEVEL_MIN_CONTACTS = 1.0
LEVEL_MIN_PEOPLE = 30
LEVEL_STRENGTH_BOUNDS = (1.0, 500.0)
SHAPE_STRENGTH = 6.0
SEGMENT_STRENGTH = 30.0
COMPANY_STRENGTH = 168.0
SLOT_STRENGTH = 20.0
# With nothing learned anywhere: every slot alike at this level; the caller's order decides.
FLAT_RATE = 0.1
# Kernel: weight of the hour before and after, and of the same hour on another day of the same kind.
NEIGHBOUR_HOUR = 0.3
SAME_KIND_DAY = 0.3
# An answer within this delay of the contact is the contact's answer; a later one is activity at its own hour.
PROMPT_HOURS = 2
# A prompt answer also shows the person about at that hour, counted for this much in their shape (less than a
# later answer: it happened where the company chose to send).
PROMPT_ACTIVITY = 0.5
# A person has a learned profile on a channel once this much recency-weighted evidence is behind it.
LEARNED_MIN = 0.5
# A slot the person was seen in joins the block the reason names when its propensity stands this share of the
# way from the person's mean to the chosen slot's.
BLOCK_SHARE = 0.5


class BestMoment(NamedTuple):
    """A person's best allowed moment: when, by which channel, how likely an answer, and why.

    ``observations`` and ``responses`` are the person's recency-weighted contacts and prompt answers, rounded,
    over the block of slots the reason names (the chosen slot and its equally good neighbours) on that
    channel."""

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


def shape(activity, prior, strength):
    """A Dirichlet posterior mean over the week (..., 168): smoothed activity plus ``strength`` pseudo-answers
    spread as ``prior`` (a distribution)."""
    pooled = smooth(activity)
    return (pooled + strength * prior) / (pooled.sum(axis=-1, keepdims=True) + strength)


def level_moments(contacts, answers):
    """What fitting the level's strength reads of a channel's people (arrays of each person's recency-weighted
    contacts and answers): (people, Σ rate, Σ rate², Σ 1/contacts) over those with ``LEVEL_MIN_CONTACTS``,
    a rate being answers per contact, at most 1. The learner sums the same in SQL."""
    contacts, answers = np.asarray(contacts, dtype=float), np.asarray(answers, dtype=float)
    shown = contacts >= LEVEL_MIN_CONTACTS
    rate = np.minimum(answers[shown] / contacts[shown], 1.0)
    return int(shown.sum()), float(rate.sum()), float((rate**2).sum()), float((1.0 / contacts[shown]).sum())


def level_strength(people, sum_rate, sum_rate_sq, sum_inverse):
    """The pseudo-contacts of a channel's level prior, fitted by moments (a Beta-binomial): with ``m`` the
    mean rate and ``V`` the rates' variance, of which about ``m(1 - m) × mean(1/contacts)`` is the noise of
    few contacts, the people truly differ by ``τ² = V - noise`` and a Beta of mean ``m`` and variance ``τ²``
    has ``m(1 - m)/τ² - 1`` pseudo-contacts; bounded by ``LEVEL_STRENGTH_BOUNDS``."""
    if people < LEVEL_MIN_PEOPLE:
        return LEVEL_STRENGTH
    mean = sum_rate / people
    spread = mean * (1.0 - mean)
    between = sum_rate_sq / people - mean**2 - spread * sum_inverse / people
    low, high = LEVEL_STRENGTH_BOUNDS
    if between <= spread / (high + 1.0):
        return high
    return float(min(max(spread / between - 1.0, low), high))


def level(n, k, prior, strength):
    """A Beta posterior mean of the answer rate from contacts and prompt answers over all slots (...,)."""
    return (np.sum(k, axis=-1) + strength * prior) / (np.sum(n, axis=-1) + strength)


class Pattern(NamedTuple):
    """A company's or segment's pattern on one channel: the prior of its people."""

    shape: np.ndarray  # (168,) when its people are active, a distribution
    level: float  # how often a contact over this channel is answered at all (promptly or later)
    exposure: np.ndarray  # (168,) where the company's contacts over this channel usually go, a distribution
    prompt_share: float  # of the answers over this channel, the share that came promptly
    level_strength: float = LEVEL_STRENGTH  # pseudo-contacts behind a person's level (``level_strength``)


def _with_slots(pattern, n, k):
    """The pattern with its shape corrected by its own prompt answers per slot (a Beta posterior per slot with
    ``SLOT_STRENGTH`` pseudo-contacts at the pattern's rate): where many were contacted, their answers say
    directly how good the hour is."""
    base = pattern_rates(pattern)
    rates = (smooth(k) + SLOT_STRENGTH * base) / (smooth(n) + SLOT_STRENGTH)
    if not rates.sum():
        return pattern
    return pattern._replace(shape=rates / rates.sum())


def company_pattern(n, k, a, activity, strength=LEVEL_STRENGTH):
    """The company's pattern on a channel from its counts (168,) on it: contacts ``n``, prompt answers ``k``,
    later answers ``a``; its people's activity on every channel; the level's fitted ``strength``."""
    n, k, a = (np.asarray(x, dtype=float) for x in (n, k, a))
    flat = np.full(SLOTS, 1.0 / SLOTS)
    exposure = (smooth(n) + flat) / (smooth(n).sum() + 1.0)
    answers = k.sum() + a.sum()
    pattern = Pattern(
        shape(activity, flat, COMPANY_STRENGTH),
        float(level(n, k + a, FLAT_RATE, 1.0)),
        exposure,
        float((k.sum() + 1.0) / (answers + 1.0)),
        float(strength),
    )
    return _with_slots(pattern, n, k)


def segment_pattern(n, k, a, activity, company):
    """A segment's pattern, shrunk toward its company's."""
    n, k, a = (np.asarray(x, dtype=float) for x in (n, k, a))
    pattern = Pattern(
        shape(activity, company.shape, SEGMENT_STRENGTH),
        float(level(n, k + a, company.level, SEGMENT_STRENGTH)),
        company.exposure,
        company.prompt_share,
        company.level_strength,
    )
    return _with_slots(pattern, n, k)


def person_rates(n, k, a, activity, patterns):
    """Each person's propensity per slot (people, 168) on one channel: the chance of a prompt answer.

    :param n: contacts over this channel (people, 168), recency-weighted
    :param k: their prompt answers (people, 168)
    :param a: later answers over this channel, at the hour they came (people, 168)
    :param activity: later answers over every channel, and messages the person wrote in (people, 168)
    :param patterns: each person's segment's Pattern on this channel (a list, or one for all)
    """
    n, k, a, activity = (np.asarray(x, dtype=float) for x in (n, k, a, activity))
    if isinstance(patterns, Pattern):
        patterns = [patterns] * len(n)
    prior_shape = np.array([p.shape for p in patterns]).reshape(n.shape)
    prior_level = np.array([p.level for p in patterns])
    exposure = np.array([p.exposure for p in patterns]).reshape(n.shape)
    prompt_share = np.array([p.prompt_share for p in patterns])
    level_prior = np.array([p.level_strength for p in patterns])
    person_shape = shape(activity, prior_shape, SHAPE_STRENGTH)
    # How readily the person answers this channel at all: their answers, prompt or later, per contact.
    person_level = np.minimum(level(n, k + a, prior_level, level_prior), 1.0) * prompt_share
    # The level was measured where contacts went: a slot's rate is the level scaled by how much more active
    # the person is then than there.
    where_contacted = np.sum(person_shape * exposure, axis=-1)
    rates = saturate(person_level[:, None] * person_shape / where_contacted[:, None])
    return (smooth(k) + PRIOR_STRENGTH * rates) / (smooth(n) + PRIOR_STRENGTH)


def saturate(expected):
    """A chance from an expected number of answers: about the same while small, below 1 however large, and
    still ordered (clipping at 1 would tie every hour above it)."""
    return 1.0 - np.exp(-np.maximum(expected, 0.0))


def pattern_rates(pattern):
    """A pattern's own propensity per slot: what the report shows."""
    scaled = pattern.level * pattern.prompt_share * pattern.shape / np.sum(pattern.shape * pattern.exposure)
    return saturate(scaled)


def best_block(rates, n, slot):
    """The block of one person's week the reason names around ``slot``: (days, first hour, end hour).

    Only hours where the person was seen (``n`` > 0) and which stand well above their usual level (half way
    from their mean to the chosen slot's propensity) join it; the days are those where the same hours do too.
    A chosen slot the person was never seen in is a block of its own."""
    rates, n = np.asarray(rates, dtype=float), np.asarray(n, dtype=float)
    best = rates[slot]
    usual = rates.mean()
    floor = usual + BLOCK_SHARE * (best - usual)
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
