"""Reason codes of the contact decision, and how a held-back mailing trace shows them."""

# Reasons under which a mass mailing holds a message back (others are Odoo's own business).
MAILING_BLOCK_REASONS = ("denied", "do_not_contact", "expired", "not_asked_optin_mode")

FAILURE_TYPES = [
    ("affinity_denied", "Consent denied (Affinity)"),
    ("affinity_do_not_contact", "Do not contact (Affinity)"),
    ("affinity_expired", "Consent expired (Affinity)"),
    ("affinity_not_asked_optin_mode", "Consent never asked, opt-in mode (Affinity)"),
]


def failure_type_for(reason):
    return f"affinity_{reason}"
