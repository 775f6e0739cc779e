"""Signed, expiring links: a person's own door to their preferences, and a one-time confirmation."""

import time

from odoo.tools.misc import consteq, hmac


def sign(env, scope, subject, lifetime_seconds, bound=""):
    """A token ``<subject>.<expiry>.<signature>``; ``bound`` ties it to a state that can pass."""
    expiry = int(time.time()) + int(lifetime_seconds)
    return f"{subject}.{expiry}.{_signature(env, scope, subject, expiry, bound)}"


def verify(env, scope, token, bound=""):
    """The subject (an int) a valid token was made for, else ``(None, why)`` with why in expired/invalid."""
    parts = (token or "").split(".")
    if len(parts) != 3 or not parts[0].isdigit() or not parts[1].isdigit():
        return None, "invalid"
    subject, expiry = int(parts[0]), int(parts[1])
    if not consteq(parts[2], _signature(env, scope, subject, expiry, bound)):
        return None, "invalid"
    if expiry < time.time():
        return None, "expired"
    return subject, None


def subject_of(token):
    """The subject a token claims, unverified: only to look up what it must be bound to."""
    head = (token or "").split(".", 1)[0]
    return int(head) if head.isdigit() else None


def _signature(env, scope, subject, expiry, bound):
    return hmac(env(su=True), scope, f"{subject}:{expiry}:{bound}")
