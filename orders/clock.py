"""The wall clock of Europe/Paris, where households, volunteers and producers live.

Cycles open at "Friday 18:00" and pickups run "17:00–18:30" on the wall clock, whatever the
UTC offset of that day: these helpers turn days and times into aware datetimes (and back)
that way, once for the whole project. The time zone is ``settings.TIME_ZONE``.

Imports nothing of the project: any module may use it.
"""

from datetime import date, datetime, time, timedelta, tzinfo

from django.utils import timezone


def paris() -> tzinfo:
    return timezone.get_default_timezone()


def at(day: date, clock: time) -> datetime:
    """``day`` at ``clock`` on the wall clock, as an aware datetime (18:00 stays 18:00)."""
    return timezone.make_aware(datetime.combine(day, clock), paris())


def today(now: datetime | None = None) -> date:
    """The date on the wall clock (at ``now``, else now)."""
    return timezone.localdate(now or timezone.now(), paris())


def monday_of(day: date) -> date:
    """The Monday of ``day``'s week."""
    return day - timedelta(days=day.weekday())


def week_span(monday: date) -> tuple[datetime, datetime]:
    """From Monday 00:00 to the next Monday 00:00, on the wall clock."""
    return at(monday, time.min), at(monday + timedelta(weeks=1), time.min)


def shift_weeks(moment: datetime, weeks: int) -> datetime:
    """The same wall-clock time ``weeks`` weeks later.

    Shifting the UTC instant would turn "Friday 18:00" into "Friday 19:00" across a
    daylight-saving change."""
    local = timezone.localtime(moment, paris()).replace(tzinfo=None) + timedelta(weeks=weeks)
    return timezone.make_aware(local, paris())
