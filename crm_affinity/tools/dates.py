"""Date arithmetic shared by consent and the registry."""

import datetime


def add_business_days(start, days):
    """Deadline counted in working days (Monday–Friday), as IYS counts them."""
    current = start
    while days > 0:
        current += datetime.timedelta(days=1)
        if current.weekday() < 5:
            days -= 1
    return current
