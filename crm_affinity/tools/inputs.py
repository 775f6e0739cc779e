"""What outside input must be before it reaches the database: PostgreSQL stores no NUL and no lone surrogate."""

import re

from odoo.tools import email_normalize


def clean_text(value):
    """Is ``value`` a string PostgreSQL can store as it is (no NUL, valid UTF-8)?"""
    if not isinstance(value, str) or "\x00" in value:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


# A plain address: ASCII atoms joined by single dots, no name, quotes or comment around it. For it Odoo's
# email_normalize (which parses the address as a mail header) returns the address in lower case.
PLAIN_EMAIL = re.compile(r"[A-Za-z0-9_+-]+(?:\.[A-Za-z0-9_+-]+)*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\Z")


def normalize_email(value):
    """``odoo.tools.email_normalize``, a plain address lower-cased without parsing it (an IYS page holds a
    thousand; parsing is most of their cost)."""
    if isinstance(value, str) and PLAIN_EMAIL.match(value):
        return value.lower()
    return email_normalize(value)
