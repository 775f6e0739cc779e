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


def partner_ids_by_phone_key(env, keys):
    """{key: the lowest partner id whose mobile or phone is that line}, in one statement."""
    keys = [key for key in keys if key]
    if not keys:
        return {}
    env["res.partner"].flush_model(["phone", "mobile"])
    rows = env.execute_query(
        SQL(
            """SELECT key, min(id) FROM (
                   SELECT id, %(mobile)s AS key FROM res_partner
                   UNION ALL
                   SELECT id, %(phone)s FROM res_partner
               ) numbers
              WHERE key = ANY(%(keys)s)
              GROUP BY key""",
            mobile=phone_key_sql(SQL("mobile")),
            phone=phone_key_sql(SQL("phone")),
            keys=keys,
        )
    )
    return dict(rows)


def partner_ids_by_iys_number(env, keys, companies):
    """{(key, is_company): [partner ids, lowest first]}: the active partners of these companies (False: of
    none) whose number IYS knows them by is that line: the mobile, else the phone
    (``res.partner._affinity_iys_recipient``), in one statement."""
    keys = [key for key in keys if key]
    if not keys:
        return {}
    env["res.partner"].flush_model(["phone", "mobile", "company_id", "is_company", "active"])
    rows = env.execute_query(
        SQL(
            """SELECT key, COALESCE(is_company, FALSE), array_agg(id ORDER BY id)
                 FROM (SELECT id, is_company, COALESCE(%(mobile)s, %(phone)s) AS key
                         FROM res_partner
                        WHERE active AND (company_id = ANY(%(companies)s) OR (%(shared)s AND company_id IS NULL))
                      ) numbers
                WHERE key = ANY(%(keys)s)
                GROUP BY 1, 2""",
            mobile=phone_key_sql(SQL("mobile")),
            phone=phone_key_sql(SQL("phone")),
            companies=[company for company in companies if company],
            shared=False in companies,
            keys=keys,
        )
    )
    return {(key, is_company): ids for key, is_company, ids in rows}


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
