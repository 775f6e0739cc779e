"""The one phone identity rule: two numbers are the same line when their keys are equal.

The key is the last ten digits of the number, read up to an extension marker ("ext", "dahili", "#",
"x" before digits, ";" or ","), and only for numbers of at least seven digits. It ignores the prefix a
number was typed with (+90, 0090, 0), its spacing and punctuation. Python and SQL apply the very same
rule: ``phone_key`` for values in hand, ``phone_key_sql`` for columns; a test holds them together.
"""

import re

from odoo.tools import SQL

# Everything from an extension marker on, and every other character that is not an ASCII digit.
# A marker word counts only where no letter comes right before it: "Fax 0212…" and "Next: 0532…" keep
# their numbers.
STRIP_PATTERN = r"((?<![a-z])(ext|dahili|x *[0-9])|[#;,]).*$|[^0-9]"
# The key: the last ten of at least seven digits (the leftmost match of 7 to 10 digits up to the end).
KEY_PATTERN = r"[0-9]{7,10}$"
_STRIP = re.compile(STRIP_PATTERN, re.IGNORECASE)


def phone_key(number):
    """The line a number stands for, or "" for no usable number."""
    digits = _STRIP.sub("", number or "")
    return digits[-10:] if len(digits) >= 7 else ""


def phone_key_sql(column):
    """SQL of the same key for a column or expression (NULL for no usable number)."""
    return SQL(
        "substring(regexp_replace(COALESCE(%s, ''), %s, '', 'gi') from %s)",
        column,
        STRIP_PATTERN,
        KEY_PATTERN,
    )


def partner_ids_by_phone_key(env, keys, company=None):
    """{key: the lowest partner id whose mobile or phone is that line}, in one statement.

    ``company``: only the partners of that company or of none, each line found once per kind of partner:
    ``{(key, is_company): id}``."""
    keys = [key for key in keys if key]
    if not keys:
        return {}
    env["res.partner"].flush_model(["phone", "mobile", "company_id", "is_company"])
    kind = SQL("COALESCE(is_company, FALSE)") if company is not None else SQL("NULL::bool")
    rows = env.execute_query(
        SQL(
            """SELECT key, kind, min(id) FROM (
                   SELECT id, %(mobile)s AS key, %(kind)s AS kind, company_id FROM res_partner
                   UNION ALL
                   SELECT id, %(phone)s, %(kind)s, company_id FROM res_partner
               ) numbers
              WHERE key = ANY(%(keys)s) AND (%(any_company)s OR company_id IS NULL OR company_id = %(company)s)
              GROUP BY key, kind""",
            mobile=phone_key_sql(SQL("mobile")),
            phone=phone_key_sql(SQL("phone")),
            kind=kind,
            keys=keys,
            any_company=company is None,
            company=company,
        )
    )
    if company is None:
        return {key: partner_id for key, _kind, partner_id in rows}
    return {(key, kind): partner_id for key, kind, partner_id in rows}


def partner_ids_on_lines(env, keys):
    """Every partner id whose mobile or phone is one of these lines, in id order, in one statement."""
    keys = [key for key in keys if key]
    if not keys:
        return []
    env["res.partner"].flush_model(["phone", "mobile"])
    rows = env.execute_query(
        SQL(
            "SELECT id FROM res_partner WHERE %(mobile)s = ANY(%(keys)s) OR %(phone)s = ANY(%(keys)s) ORDER BY id",
            mobile=phone_key_sql(SQL("mobile")),
            phone=phone_key_sql(SQL("phone")),
            keys=keys,
        )
    )
    return [row[0] for row in rows]
