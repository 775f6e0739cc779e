"""Date arithmetic shared by consent and the registry, and the days people do not work."""

import datetime
import functools
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

try:
    import holidays as holidays_lib
except ImportError:  # pragma: no cover - declared in external_dependencies
    holidays_lib = None


def add_business_days(start, days, holidays=()):
    """Deadline counted in working days (Monday–Friday, public holidays excepted), as IYS counts them."""
    current = start
    while days > 0:
        current += datetime.timedelta(days=1)
        if current.weekday() < 5 and current not in holidays:
            days -= 1
    return current


# IYS's time: "İzinlerin saat dilimi GMT+3 kabul edilir" (İzin Doğrulama Kuralları), a fixed offset, also for
# the years before September 2016 when Istanbul's winters were GMT+2.
TURKEY = datetime.timezone(datetime.timedelta(hours=3), "GMT+3")


def turkish_to_utc(value):
    """IYS's ``YYYY-MM-DD HH:mm:ss`` (Turkish time) as a naive UTC datetime, or None."""
    return _turkish_to_utc(value) if isinstance(value, str) else None


@functools.lru_cache(maxsize=4096)
def _turkish_to_utc(value):
    # A page of IYS's changes repeats its moments: each is parsed once.
    try:
        local = datetime.datetime.strptime(value, "%Y-%m-%d %H:%M:%S")
    except ValueError:
        return None
    return local.replace(tzinfo=TURKEY).astimezone(datetime.UTC).replace(tzinfo=None)


def utc_to_turkish(moment):
    """A naive UTC datetime as IYS writes dates: Turkish time, ``YYYY-MM-DD HH:mm:ss``."""
    return moment.replace(tzinfo=datetime.UTC).astimezone(TURKEY).strftime("%Y-%m-%d %H:%M:%S")


def turkish_date(moment):
    """The day a naive UTC datetime falls on in Turkey (GMT+3), the day IYS counts from."""
    return moment.replace(tzinfo=datetime.UTC).astimezone(TURKEY).date()


def turkish_today():
    return turkish_date(datetime.datetime.now(datetime.UTC).replace(tzinfo=None))


@functools.lru_cache(maxsize=128)
def country_public_holidays(country, year):
    """A country's public holidays of a year, from the ``holidays`` library (religious ones included).

    Only whole days off: the library files the afternoon off before a Bayram (arife) and on 28 October
    under its half-day category, which is left out, so such a day stays a business day (for a deadline,
    the earlier, safe count)."""
    if holidays_lib is None or not country:
        return frozenset()
    try:
        days = holidays_lib.country_holidays(country, years=year, categories=(holidays_lib.PUBLIC,))
    except NotImplementedError:  # a country the library does not know
        return frozenset()
    return frozenset(days)


class DaysOff:
    """Days without work: a country's public holidays for any year (computed when asked) and the days of a
    calendar's time off; ``day in days_off``. Weekends are the caller's business (``weekdays``)."""

    __slots__ = ("country", "days", "weekdays")

    def __init__(self, days=(), country=None, weekdays=(0, 1, 2, 3, 4)):
        self.days = frozenset(days)
        self.country = country or None
        self.weekdays = frozenset(weekdays)

    def __contains__(self, day):
        return day in self.days or (
            self.country is not None and day in country_public_holidays(self.country, day.year)
        )

    def __bool__(self):
        return bool(self.days) or self.country is not None

    def __repr__(self):
        return f"DaysOff({sorted(self.days)!r}, country={self.country!r}, weekdays={sorted(self.weekdays)!r})"

    def is_working_day(self, day):
        return day.weekday() in self.weekdays and day not in self

    def next_working_day(self, day, include=False):
        """The first working day after ``day`` (or from it, with ``include``); a calendar without working
        weekdays is read as Monday to Friday."""
        weekdays = self.weekdays or frozenset(range(5))
        if not include:
            day += datetime.timedelta(days=1)
        for _ in range(3660):
            if day.weekday() in weekdays and day not in self:
                return day
            day += datetime.timedelta(days=1)
        return day


TURKISH_PUBLIC_HOLIDAYS = DaysOff(country="TR")
# Countries whose public holidays a company keeps without entering them (the holidays library, any year).
AUTOMATIC_HOLIDAY_COUNTRIES = ("TR",)


def calendar_days_off(spans, tz, attendances, country=None):
    """The days off of a working calendar: ``spans`` of its time off (naive UTC ``(from, to)``), read in
    time zone ``tz`` over its working hours (``attendances``: ``(weekday, hour from, hour to)``; on a day
    it does not work, its usual hours), and the public holidays of ``country`` where they come by
    themselves. Its working weekdays are those of its attendances (Monday to Friday without any)."""
    hours = {}
    for weekday, begin, end in attendances:
        hours.setdefault(int(weekday), []).append((begin, end))
    usual = [(min(a[1] for a in attendances), max(a[2] for a in attendances))] if attendances else []
    days = set()
    for start, end in spans:
        days |= days_covered(start, end, tz, lambda weekday: hours.get(weekday, usual))
    return DaysOff(
        days,
        country=country if country in AUTOMATIC_HOLIDAY_COUNTRIES else None,
        weekdays=hours or range(5),
    )


def zone(name):
    """A time zone by name, UTC for none or one this system's time zone data does not know."""
    try:
        return ZoneInfo(name or "UTC")
    except (ValueError, ZoneInfoNotFoundError):
        return ZoneInfo("UTC")


def days_covered(date_from, date_to, tz, hours_of):
    """The local days a span of time off (naive UTC datetimes) takes off whole in time zone ``tz``.

    A day is off when the span covers its working hours: ``hours_of(weekday)`` gives them as
    ``(from, to)`` pairs of float hours (an empty list: the whole day). So an afternoon off, such as the
    eve of a Bayram from 13:00, leaves a working day; time off entered from 08:00 to 17:00, or over the
    whole day in another time zone, is one day off."""
    local = zone(tz)
    start = date_from.replace(tzinfo=datetime.UTC).astimezone(local).replace(tzinfo=None)
    end = date_to.replace(tzinfo=datetime.UTC).astimezone(local).replace(tzinfo=None)
    days = set()
    day = start.date()
    while day <= end.date():
        midnight = datetime.datetime.combine(day, datetime.time())
        hours = hours_of(day.weekday()) or [(0.0, 24.0)]
        # A minute's tolerance: "until 23:59" or "until 16:59:59" means the end of the day or of the work.
        if all(
            start <= midnight + datetime.timedelta(hours=begin)
            and end >= midnight + datetime.timedelta(hours=finish) - datetime.timedelta(minutes=1)
            for begin, finish in hours
            if finish > begin
        ):
            days.add(day)
        day += datetime.timedelta(days=1)
    return days
