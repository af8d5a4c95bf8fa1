"""The business calendar (営業日): which days count for deadlines and SLA clocks.

A day is a business day unless it is a Saturday or Sunday, a 国民の祝日 (jpholiday: 振替休日 and 国民の休日
included), inside the 年末年始 closure (default 12/29–1/3, setting ``RENKEI_YEAR_END_CLOSURE = "12-29/01-03"``;
an empty string disables it) or closed by the installation's own ``CalendarDay`` rows. A ``CalendarDay`` with
``is_closed=False`` opens a day that would otherwise be closed; overrides win over every other rule.

``BusinessCalendar`` is pure (no database) and fast: inside a window of whole years it keeps a sorted list of
business-day ordinals and answers ``add_business_days`` / ``business_days_between`` with ``bisect``
(O(log n)). The window starts around the first date asked about and grows on demand, a few years at a time,
between 1950 and 2199; outside those years it falls back to a day-by-day loop. The national holidays are
computed once per year per process (jpholiday needs ~60 ms a year) and shared by every calendar.

``load_business_calendar()`` builds the installation's calendar from settings and ``CalendarDay`` rows. It is
cached per process and keyed by the setting plus a one-query version of the table (row count, newest
``updated_at``, highest id), so an edit made by another worker process is seen on the next call. Call it once
per request or batch and pass the calendar down; do not call it per row.
"""

from __future__ import annotations

import datetime as dt
import functools
import threading
from bisect import bisect_right
from collections.abc import Iterable, Mapping
from typing import NamedTuple

import jpholiday
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Count, Max

from renkei.core.models import CalendarDay
from renkei.core.text import nfkc

MonthDay = tuple[int, int]
YearEnd = tuple[MonthDay, MonthDay]

YEAR_END_SETTING = "RENKEI_YEAR_END_CLOSURE"
DEFAULT_YEAR_END_SETTING = "12-29/01-03"
DEFAULT_YEAR_END: YearEnd = ((12, 29), (1, 3))

SATURDAY = "土曜日"
SUNDAY = "日曜日"
YEAR_END = "年末年始"
EXTRA_CLOSED_DAY = "休業日"  # the reason given for a CalendarDay closed without a name

# The fast window never leaves these years (the 祝日法 dates from 1948; nobody schedules past 2199).
WINDOW_FIRST_YEAR = 1950
WINDOW_LAST_YEAR = 2199
_WINDOW_MARGIN_YEARS = 2  # years added around what was asked, each time the window is built or grown
_FIRST_ORDINAL = dt.date(WINDOW_FIRST_YEAR, 1, 1).toordinal()
_LAST_ORDINAL = dt.date(WINDOW_LAST_YEAR, 12, 31).toordinal()


@functools.cache
def national_holidays(year: int) -> Mapping[dt.date, str]:
    """The 国民の祝日 of a year (振替休日 and 国民の休日 included) → their names, as jpholiday names them."""
    return {day: name for day, name in jpholiday.year_holidays(year)}


def parse_year_end(value: str) -> YearEnd | None:
    """Parse the setting: "12-29/01-03" → ((12, 29), (1, 3)); "" → None (no closure); full-width is fine."""
    text = nfkc(value or "").strip()
    if not text:
        return None
    try:
        first, last = text.split("/")
        result = (_month_day(first), _month_day(last))
    except ValueError as exc:
        raise ImproperlyConfigured(
            f'{YEAR_END_SETTING} の形式が正しくありません（例: "12-29/01-03"、空文字で無効）: {value!r}'
        ) from exc
    return result


def _month_day(text: str) -> MonthDay:
    month, day = (int(part) for part in text.strip().split("-"))
    dt.date(2000, month, day)  # raises ValueError for 13-01 or 02-30 (2000 is a leap year: 02-29 is valid)
    return month, day


class _Window(NamedTuple):
    first: int  # ordinal of 1 January of the first year
    last: int  # ordinal of 31 December of the last year
    ordinals: list[int]  # the business days in [first, last], ascending


class BusinessCalendar:
    """Business days for one installation. ``closed`` may map dates to names (県民の日) or just list dates."""

    def __init__(
        self,
        closed: Mapping[dt.date, str] | Iterable[dt.date] = (),
        opened: Iterable[dt.date] = (),
        year_end: YearEnd | None = DEFAULT_YEAR_END,
    ) -> None:
        if isinstance(closed, Mapping):
            self._closed: dict[dt.date, str] = {_as_date(d): name for d, name in closed.items()}
        else:
            self._closed = {_as_date(d): "" for d in closed}
        self._opened = frozenset(_as_date(d) for d in opened)
        if both := sorted(self._opened & self._closed.keys()):
            raise ValueError(f"{both[0].isoformat()} が休業日と営業日の両方に指定されています")
        if year_end is not None:
            for month, day in year_end:
                dt.date(2000, month, day)
        self._year_end = year_end
        self._window: _Window | None = None
        self._lock = threading.Lock()

    # -- single days ---------------------------------------------------------------------------------------

    def closed_reason(self, day: dt.date) -> str | None:
        """Why ``day`` is closed, in Japanese, or None for a business day.

        Order: an override (its name), the 祝日 name, 土曜日 / 日曜日, 年末年始.
        """
        day = _as_date(day)
        if day in self._opened:
            return None
        name = self._closed.get(day)
        if name is not None:
            return name or EXTRA_CLOSED_DAY
        holiday = national_holidays(day.year).get(day)
        if holiday:
            return holiday
        weekday = day.weekday()
        if weekday == 5:
            return SATURDAY
        if weekday == 6:
            return SUNDAY
        if self._in_year_end(day):
            return YEAR_END
        return None

    def is_business_day(self, day: dt.date) -> bool:
        return self.closed_reason(day) is None

    def _in_year_end(self, day: dt.date) -> bool:
        if self._year_end is None:
            return False
        first, last = self._year_end
        key = (day.month, day.day)
        if first <= last:
            return first <= key <= last
        return key >= first or key <= last  # the closure wraps around New Year

    # -- arithmetic ----------------------------------------------------------------------------------------

    def add_business_days(self, day: dt.date, n: int) -> dt.date:
        """The n-th business day strictly after ``day``; ``day`` itself when n == 0."""
        if n < 0:
            raise ValueError(f"営業日数は 0 以上で指定してください: {n}")
        day = _as_date(day)
        if n == 0:
            return day
        origin = day.toordinal()
        window = self._window_for(origin, origin)
        while window is not None:
            index = bisect_right(window.ordinals, origin) + n - 1
            if index < len(window.ordinals):
                return dt.date.fromordinal(window.ordinals[index])
            # Not enough business days left in the window: grow it forward by at least a year.
            window = self._window_for(origin, window.last + max(366, 2 * n))
        return self._add_by_loop(day, n)

    def business_days_between(self, start: dt.date, end: dt.date) -> int:
        """How many business days x satisfy start < x <= end (0 when end <= start)."""
        first, last = _as_date(start).toordinal(), _as_date(end).toordinal()
        if last <= first:
            return 0
        window = self._window_for(first, last)
        if window is None:
            return self._count_by_loop(first, last)
        return bisect_right(window.ordinals, last) - bisect_right(window.ordinals, first)

    def next_business_day(self, day: dt.date) -> dt.date:
        """The first business day strictly after ``day``."""
        return self.add_business_days(day, 1)

    def roll_forward(self, day: dt.date) -> dt.date:
        """``day`` if it is a business day, else the next one (a request received on a holiday)."""
        day = _as_date(day)
        return day if self.is_business_day(day) else self.next_business_day(day)

    # -- the fast window -----------------------------------------------------------------------------------

    def _window_for(self, first: int, last: int) -> _Window | None:
        """A window covering ordinals first..last, built or grown if needed; None outside the fixed years."""
        window = self._window
        if window is not None and window.first <= first and last <= window.last:
            return window
        if first < _FIRST_ORDINAL or last > _LAST_ORDINAL:
            return None
        with self._lock:
            window = self._window
            if window is not None and window.first <= first and last <= window.last:
                return window
            first_year = dt.date.fromordinal(first).year - _WINDOW_MARGIN_YEARS
            last_year = dt.date.fromordinal(last).year + _WINDOW_MARGIN_YEARS
            if window is not None:
                first_year = min(first_year, dt.date.fromordinal(window.first).year)
                last_year = max(last_year, dt.date.fromordinal(window.last).year)
            window = self._build_window(max(first_year, WINDOW_FIRST_YEAR), min(last_year, WINDOW_LAST_YEAR))
            self._window = window  # one assignment: readers without the lock see the old or the new window
            return window

    def _build_window(self, first_year: int, last_year: int) -> _Window:
        first = dt.date(first_year, 1, 1).toordinal()
        last = dt.date(last_year, 12, 31).toordinal()
        ordinals = [o for o in range(first, last + 1) if self.is_business_day(dt.date.fromordinal(o))]
        return _Window(first, last, ordinals)

    def _add_by_loop(self, day: dt.date, n: int) -> dt.date:
        one = dt.timedelta(days=1)
        while n:
            day += one
            if self.is_business_day(day):
                n -= 1
        return day

    def _count_by_loop(self, first: int, last: int) -> int:
        return sum(1 for o in range(first + 1, last + 1) if self.is_business_day(dt.date.fromordinal(o)))


def _as_date(day: dt.date) -> dt.date:
    return day.date() if isinstance(day, dt.datetime) else day


# -- the installation's calendar -------------------------------------------------------------------------

_cache_lock = threading.Lock()
_cached: tuple[tuple[object, ...], BusinessCalendar] | None = None


def load_business_calendar() -> BusinessCalendar:
    """The installation's calendar: settings + ``CalendarDay`` rows, cached per process (see module docstring)."""
    global _cached
    setting = getattr(settings, YEAR_END_SETTING, DEFAULT_YEAR_END_SETTING)
    version = CalendarDay.objects.aggregate(rows=Count("id"), changed=Max("updated_at"), top=Max("id"))
    key = (setting, version["rows"], version["changed"], version["top"])
    cached = _cached
    if cached is not None and cached[0] == key:
        return cached[1]
    closed: dict[dt.date, str] = {}
    opened: list[dt.date] = []
    for day, is_closed, name in CalendarDay.objects.values_list("date", "is_closed", "name"):
        if is_closed:
            closed[day] = name
        else:
            opened.append(day)
    calendar = BusinessCalendar(closed=closed, opened=opened, year_end=parse_year_end(setting))
    with _cache_lock:
        _cached = (key, calendar)
    return calendar


def clear_business_calendar_cache() -> None:
    """Forget the cached calendar (tests; the version key already catches every edit made through the ORM)."""
    global _cached
    with _cache_lock:
        _cached = None
