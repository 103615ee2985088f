"""The one source of the current time, replaceable in tests so they never sleep."""

import datetime
import zoneinfo

LOCAL_ZONE = zoneinfo.ZoneInfo("Asia/Shanghai")


class Clock:
    """Wall-clock time in UTC (naive datetimes, stored as UTC everywhere)."""

    def now(self):
        """The current UTC time."""
        return datetime.datetime.now(datetime.UTC).replace(tzinfo=None)


class FrozenClock(Clock):
    """A clock that stands still until moved; for tests."""

    def __init__(self, at=None):
        self.at = at or Clock().now()

    def now(self):
        return self.at

    def advance(self, **delta):
        """Move the clock forward by a timedelta's keyword arguments."""
        self.at += datetime.timedelta(**delta)


clock = Clock()


def now():
    """The current UTC time from the configured clock."""
    return clock.now()


def use(new_clock):
    """Replace the clock (tests); returns the previous one."""
    global clock
    previous, clock = clock, new_clock
    return previous


def local(moment):
    """A stored UTC time as China Standard Time."""
    return moment.replace(tzinfo=datetime.UTC).astimezone(LOCAL_ZONE)
