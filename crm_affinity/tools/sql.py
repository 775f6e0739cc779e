import contextlib
import datetime

from odoo.tools import SQL

# Separators of the raw lines summary statements return (ASCII record and unit separators).
LINE_SEPARATOR = "\x1e"
FIELD_SEPARATOR = "\x1f"


# From this many ids on, ``IdSet`` keeps the id array from the planner's estimate (see there).
LARGE_ID_SET = 10000


def id_array(ids):
    """Ids as one PostgreSQL array literal (``{1, 2, 3}``): one bound value however many ids there are.

    Built from the list's own text, which is ~40 % faster than joining the ids one by one at 100 000."""
    return "{" + str(list(ids))[1:-1] + "}"


class IdSet:
    """A set of ids of any size (a mass mailing passes 100 000) written once as one array literal, tested
    wherever a statement needs it.

    PostgreSQL estimates ``= ANY(constant array)`` element by element: 30-50 ms of planning for 100 000 ids,
    paid again for every reference in the statement. A set that large is read by a scan anyway, so there the
    test is wrapped where the estimator does not look into it; it still runs as one hashed lookup per row.
    """

    def __init__(self, ids):
        self.literal = id_array(ids)
        self.large = len(ids) >= LARGE_ID_SET

    def contains(self, column):
        """``column = ANY(ids)``."""
        if self.large:
            return SQL("COALESCE(%s = ANY(%s::int[]), FALSE)", column, self.literal)
        return SQL("%s = ANY(%s::int[])", column, self.literal)


@contextlib.contextmanager
def local_settings(cr, **settings):
    """Run the statements of the block under these PostgreSQL settings, then put the previous ones back.

    A value is a string, or an SQL expression computed by the server (to raise a setting, never lower it).
    """
    names = list(settings)
    cr.execute(SQL("SELECT %s", SQL(", ").join(SQL("current_setting(%s)", name) for name in names)))
    previous = cr.fetchone()
    cr.execute(
        SQL(
            "SELECT %s",
            SQL(", ").join(SQL("set_config(%s, %s, true)", name, value) for name, value in settings.items()),
        )
    )
    try:
        yield
    finally:
        cr.execute(
            SQL(
                "SELECT %s",
                SQL(", ").join(
                    SQL("set_config(%s, %s, true)", name, value)
                    for name, value in zip(names, previous, strict=True)
                ),
            )
        )


def at_least_work_mem(size):
    """work_mem no lower than ``size`` ('32MB'), for ``local_settings``: a server given more keeps it."""
    return SQL(
        "CASE WHEN pg_size_bytes(current_setting('work_mem')) < pg_size_bytes(%s) THEN %s"
        " ELSE current_setting('work_mem') END",
        size,
        size,
    )


def without_jit(cr):
    """Run reporting statements without PostgreSQL's JIT.

    Their many CTEs push the planner's cost over ``jit_above_cost``, and compiling them then takes seconds
    (2.6 s of 2.9 s for campaign scoring on 10 000 customers) for a statement that runs in a fraction of one.
    """
    return local_settings(cr, jit="off")


def _quoted(value):
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


# How each type of value is written in an array literal; any other type is quoted as its text.
_ARRAY_ITEM = {
    type(None): lambda _value: "NULL",
    bool: lambda value: "t" if value else "f",
    int: str,
    datetime.datetime: str,  # ISO with a space, as isoformat(" ")
    datetime.date: str,
    str: _quoted,
}


# Types written as their text without quotes, and the text types quoted in one pass.
_UNQUOTED = {type(None), int, datetime.datetime, datetime.date}
_TEXTS = {type(None), str}


def array_literal(values):
    """Values (None for NULL) as one PostgreSQL array literal, bound as one text and cast by the statement
    (``%s::int[]``): parsed by the server a third faster than the ``ARRAY[…]`` psycopg2 writes for a list,
    which counts when a page of IYS's changes binds five arrays of a thousand values."""
    values = list(values)
    kinds = set(map(type, values))
    if kinds <= _UNQUOTED:  # ids, moments, days: nothing to quote
        return "{" + ",".join(["NULL" if value is None else str(value) for value in values]) + "}"
    if kinds <= _TEXTS and values and "\x00" not in "".join(filter(None, values)):
        # Names and addresses: joined and escaped as one string rather than item by item. NUL never occurs in
        # PostgreSQL text (a value holding one goes the long way, and the server refuses it), so it marks the
        # separators and the NULLs here.
        joined = "\x00,".join(["\x00N" if value is None else value for value in values])
        escaped = joined.replace("\\", "\\\\").replace('"', '\\"')
        return ('{"' + escaped.replace("\x00,", '","') + '"}').replace('"\x00N"', "NULL")
    return "{" + ",".join([_ARRAY_ITEM.get(type(value), _quoted)(value) for value in values]) + "}"
