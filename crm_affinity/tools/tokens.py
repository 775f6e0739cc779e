"""Signed, expiring links: a person's own door to their preferences, and a one-time confirmation."""

import re
import time

from odoo.tools.misc import consteq, hmac

# A subject is a database id (PostgreSQL int4) and an expiry a Unix time: ASCII digits, bounded.
TOKEN = re.compile(r"(?P<subject>[0-9]{1,10})\.(?P<expiry>[0-9]{1,11})\.(?P<signature>[0-9a-f]{1,128})")
MAX_SUBJECT = 2**31 - 1


def sign(env, scope, subject, lifetime_seconds=0, bound="", expiry=None):
    """A token ``<subject>.<expiry>.<signature>``; ``bound`` ties it to a state that can pass.

    ``expiry`` (epoch seconds) instead of a lifetime gives a link that names the moment it lapses.
    """
    expiry = int(expiry) if expiry is not None else int(time.time()) + int(lifetime_seconds)
    return f"{subject}.{expiry}.{_signature(env, scope, subject, expiry, bound)}"


def read(env, scope, token, bound=""):
    """``(subject, expiry)`` of a token whose signature holds, expired or not; ``(None, None)`` else.

    Nothing but the token and the secret is read: a forged link learns nothing of what it names.
    """
    match = TOKEN.fullmatch(token) if isinstance(token, str) else None
    if not match or int(match["subject"]) > MAX_SUBJECT:
        return None, None
    subject, expiry = int(match["subject"]), int(match["expiry"])
    if not consteq(match["signature"], _signature(env, scope, subject, expiry, bound)):
        return None, None
    return subject, expiry


def verify(env, scope, token, bound=""):
    """The subject (an int) a valid token was made for, else ``(None, why)`` with why in expired/invalid."""
    subject, expiry = read(env, scope, token, bound)
    if subject is None:
        return None, "invalid"
    if expiry < time.time():
        return None, "expired"
    return subject, None


def _signature(env, scope, subject, expiry, bound):
    return hmac(env(su=True), scope, f"{subject}:{expiry}:{bound}")
