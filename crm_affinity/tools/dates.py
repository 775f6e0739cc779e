"""Date arithmetic shared by consent and the registry."""

import datetime
from zoneinfo import ZoneInfo


def add_business_days(start, days, holidays=()):
    """Deadline counted in working days (Monday–Friday, public holidays excepted), as IYS counts them."""
    current = start
    while days > 0:
        current += datetime.timedelta(days=1)
        if current.weekday() < 5 and current not in holidays:
            days -= 1
    return current


TURKEY = ZoneInfo("Europe/Istanbul")


def turkish_to_utc(value):
    """IYS's ``YYYY-MM-DD HH:mm:ss`` (Turkish time) as a naive UTC datetime, or None."""
    try:
        local = datetime.datetime.strptime(value or "", "%Y-%m-%d %H:%M:%S")
    except ValueError:
        return None
    return local.replace(tzinfo=TURKEY).astimezone(datetime.UTC).replace(tzinfo=None)


def utc_to_turkish(moment):
    """A naive UTC datetime as IYS writes dates: Turkish time, ``YYYY-MM-DD HH:mm:ss``."""
    return moment.replace(tzinfo=datetime.UTC).astimezone(TURKEY).strftime("%Y-%m-%d %H:%M:%S")
