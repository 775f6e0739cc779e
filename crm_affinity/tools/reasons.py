"""Reason codes of the contact decision: how people read them, and how a held-back mailing shows them."""

from odoo.tools.translate import LazyTranslate

_lt = LazyTranslate(__name__)

REASON_LABELS = {
    "granted": _lt("consent granted"),
    "not_required": _lt("no consent needed"),
    "not_asked_optout_mode": _lt("not asked — opt-out mode"),
    "do_not_contact": _lt("do not contact"),
    "no_address": _lt("no address for this channel"),
    "denied": _lt("consent denied"),
    "blacklisted": _lt("blacklisted"),
    "expired": _lt("consent expired"),
    "not_asked_optin_mode": _lt("not asked — opt-in mode"),
    "pending_confirmation": _lt("awaiting the person's confirmation"),
    "iys_not_approved": _lt("no approval (ONAY) at IYS"),
    "pressure": _lt("contact budget reached"),
    "quiet_until": _lt("quiet time of the person"),
    "quiet_day": _lt("public holiday"),
    "workload": _lt("a fair day's work: waits for the person's next working day"),
    "outside_window": _lt("outside the contact window"),
    "no_permitted_channel": _lt("no permitted channel"),
    "no_template": _lt("no template for this channel"),
}
# A mailing writes to its own record's address and Odoo checks that address itself: a partner without one
# is no reason to hold back a lead's or a mailing contact's e-mail. Every other denial holds it back.
MAILING_UNBLOCKED_REASONS = ("no_address",)

FAILURE_TYPES = [
    ("affinity_denied", "Consent denied (Affinity)"),
    ("affinity_do_not_contact", "Do not contact (Affinity)"),
    ("affinity_expired", "Consent expired (Affinity)"),
    ("affinity_not_asked_optin_mode", "Consent never asked, opt-in mode (Affinity)"),
    ("affinity_blacklisted", "Blacklisted number or address of the partner (Affinity)"),
    ("affinity_pending_confirmation", "Consent awaiting confirmation (Affinity)"),
    ("affinity_iys_not_approved", "No approval at IYS (Affinity)"),
    ("affinity_pressure", "Contact budget reached (Affinity)"),
    ("affinity_quiet_until", "Quiet time of the person (Affinity)"),
    ("affinity_quiet_day", "Public holiday (Affinity)"),
    ("affinity_outside_window", "No allowed moment within the hours given (Affinity)"),
]


def failure_type_for(reason):
    return f"affinity_{reason}"


def reason_label(env, reasons):
    """A reason code, or a channel walk such as 'email:denied, sms:expired', as people read it."""
    if not reasons:
        return False
    parts = []
    for item in reasons.split(", "):
        channel_code, _sep, code = item.rpartition(":")
        label = env._(REASON_LABELS[code]) if code in REASON_LABELS else code
        if channel_code:
            channel = env["affinity.channel"]._names_by_code().get(channel_code, channel_code)
            label = f"{channel}: {label}"
        parts.append(label)
    return "; ".join(parts)
