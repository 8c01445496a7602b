"""Statutory response deadlines for data-subject requests under the GDPR and the CCPA.

Dates and times
    A request carries a timezone-aware ``received_at`` timestamp; the law counts in calendar
    dates. ``receipt_date(received_at, zone)`` maps the timestamp to the date it had in ``zone``
    (default UTC; a deployment serving one jurisdiction may pass e.g. ``"Europe/Berlin"`` or
    ``"America/Los_Angeles"``). Every ``due_on`` / ``acknowledge_by`` date means "by the end of
    that day in the same zone": ``end_of_due_day`` gives that instant and ``is_overdue`` tests it.

GDPR (Art. 12(3))
    Respond within one calendar month of receipt: the same day number in the next month, or that
    month's last day when it has no such day (31 Jan -> 28/29 Feb, 31 Mar -> 30 Apr). The
    controller may extend by up to two further months in total, counted from the original due
    date with the same month arithmetic, and must tell the data subject within the first month,
    so an extension is refused once the original due date has passed. No deadline is moved off a
    weekend or holiday: Regulation 1182/71 Art. 3(4) would allow that, but the earlier date is
    always lawful and needs no holiday calendar for 27 member states.

CCPA (Cal. Code Regs. tit. 11)
    Requests to know (access, portability), delete and correct (§7021): confirm receipt within 10
    business days and respond within 45 calendar days of receipt, whatever the time spent
    verifying; one further 45-day extension (90 days in all) with notice to the consumer, given
    within the first 45 days. Requests to opt out of sale/sharing (§7026(f)) and to limit the use
    of sensitive personal information (§7027(g)): comply within 15 business days, no extension.
    Business days are Monday-Friday minus a holiday calendar: by default the US federal holidays
    (5 U.S.C. 6103) with their weekend observance, computed here; a deployment that also closes
    on California state holidays passes its own calendar.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import MAXYEAR, UTC, date, datetime, time, timedelta, tzinfo
from typing import Literal, get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

Regime = Literal["gdpr", "ccpa"]
RequestType = Literal[
    "access", "portability", "erasure", "rectification", "objection", "restriction", "opt_out"
]
# Given a year, return every weekday of that year (and only that year) on which the business is
# closed. Weekends are always closed and need not be listed.
HolidayCalendar = Callable[[int], Collection[date]]

REGIMES: tuple[str, ...] = get_args(Regime)
REQUEST_TYPES: tuple[str, ...] = get_args(RequestType)

GDPR_RESPONSE_MONTHS = 1
GDPR_MAX_EXTENSION_MONTHS = 2
CCPA_RESPONSE_DAYS = 45
CCPA_EXTENSION_DAYS = 45
CCPA_ACKNOWLEDGE_BUSINESS_DAYS = 10
CCPA_OPT_OUT_BUSINESS_DAYS = 15

_CCPA_RESPONSE_TYPES = frozenset({"access", "portability", "erasure", "rectification"})
_CCPA_FIFTEEN_DAY_TYPES = frozenset({"opt_out", "restriction"})

_MONDAY, _THURSDAY, _SATURDAY, _SUNDAY = 0, 3, 5, 6


class DeadlineError(ValueError):
    """A deadline cannot be computed or extended as asked."""


@dataclass(frozen=True)
class Deadlines:
    """The statutory dates for one request; every date means "by the end of that day"."""

    due_on: date
    acknowledge_by: date | None
    max_extension_months: int
    max_extension_days: int


def compute_deadlines(
    regime: Regime,
    request_type: RequestType,
    received_on: date,
    holidays: HolidayCalendar | None = None,
) -> Deadlines:
    """Return the response deadlines the law sets for a request received on ``received_on``.

    regime  request_type                   due_on    ack. by  extension
    ------  -----------------------------  --------  -------  ---------
    gdpr    every type (opt_out is an      +1 month  None     2 months
            Art. 21 objection)
    ccpa    access, portability (know),    +45 days  +10 bd   45 days
            erasure (delete),
            rectification (correct)
    ccpa    opt_out (§7026(f)),            +15 bd    None     none
            restriction (limit sensitive
            personal information, §7027(g))
    ccpa    objection                      DeadlineError: the CCPA has no general right to
                                           object; file it as opt_out or restriction

    "bd" are business days after the receipt date (the receipt date itself is not counted),
    skipping weekends and ``holidays`` (default ``us_federal_holidays``).
    """
    _check_regime(regime)
    if request_type not in REQUEST_TYPES:
        raise DeadlineError(
            f"unknown request type {request_type!r}; expected one of {', '.join(REQUEST_TYPES)}"
        )
    _check_is_date("received_on", received_on)

    if regime == "gdpr":
        return Deadlines(
            due_on=add_calendar_months(received_on, GDPR_RESPONSE_MONTHS),
            acknowledge_by=None,
            max_extension_months=GDPR_MAX_EXTENSION_MONTHS,
            max_extension_days=0,
        )
    if request_type in _CCPA_RESPONSE_TYPES:
        return Deadlines(
            due_on=received_on + timedelta(days=CCPA_RESPONSE_DAYS),
            acknowledge_by=add_business_days(received_on, CCPA_ACKNOWLEDGE_BUSINESS_DAYS, holidays),
            max_extension_months=0,
            max_extension_days=CCPA_EXTENSION_DAYS,
        )
    if request_type in _CCPA_FIFTEEN_DAY_TYPES:
        return Deadlines(
            due_on=add_business_days(received_on, CCPA_OPT_OUT_BUSINESS_DAYS, holidays),
            acknowledge_by=None,
            max_extension_months=0,
            max_extension_days=0,
        )
    raise DeadlineError(
        f"the CCPA has no right to {request_type!r}; "
        "use 'opt_out' (sale/sharing) or 'restriction' (limit sensitive personal information)"
    )


def extend_due_date(
    regime: Regime,
    original_due_on: date,
    current_due_on: date,
    *,
    months: int | None = None,
    today: date,
    already_extended: bool,
    request_type: RequestType | None = None,
) -> date:
    """Return the due date after one more lawful extension, or raise DeadlineError.

    ``original_due_on`` is ``compute_deadlines(...).due_on``; ``current_due_on`` is the due date
    now in force (equal to it until the first extension); ``already_extended`` says whether an
    extension was granted before and must agree with those two dates. ``today`` is the current
    date in the deployment's zone (``receipt_date(now, zone)``).

    GDPR: ``months`` is 1 or 2, or None for all that is left of the 2-month allowance. The new
    date is ``add_calendar_months(original_due_on, months used so far + months)``, so 1 + 1
    months lands on the same day as 2.

    CCPA: one extension of exactly 45 calendar days; ``months`` must be left out (a month count
    has no meaning there and is refused rather than silently ignored).

    Both regimes require notice within the original period, so ``today`` must not be after
    ``original_due_on``. When ``request_type`` is given, types that allow no extension (CCPA
    opt-out and limit requests) are refused as well.
    """
    _check_regime(regime)
    for name, value in (
        ("original_due_on", original_due_on),
        ("current_due_on", current_due_on),
        ("today", today),
    ):
        _check_is_date(name, value)
    if request_type is not None:
        # Reuse the rules table (it also rejects pairs the law does not have); the dates are
        # irrelevant here, so an empty holiday calendar keeps it cheap.
        allowed = compute_deadlines(regime, request_type, original_due_on, lambda _year: ())
        if not (allowed.max_extension_months or allowed.max_extension_days):
            raise DeadlineError(f"a {regime} {request_type!r} request cannot be extended")

    if regime == "gdpr":
        new_due_on = _extend_gdpr(original_due_on, current_due_on, months, already_extended)
    else:
        new_due_on = _extend_ccpa(original_due_on, current_due_on, months, already_extended)

    if today > original_due_on:
        raise DeadlineError(
            f"too late to extend: the data subject had to be told by {original_due_on.isoformat()}"
            f" (end of the original response period) and today is {today.isoformat()}"
        )
    return new_due_on


def add_calendar_months(d: date, months: int) -> date:
    """Return the same day number ``months`` later, or that month's last day if it has none."""
    month_index = d.year * 12 + (d.month - 1) + months
    year, month_zero_based = divmod(month_index, 12)
    month = month_zero_based + 1
    last_day = calendar.monthrange(year, month)[1]
    return d.replace(year=year, month=month, day=min(d.day, last_day))


def add_business_days(d: date, n: int, holidays: HolidayCalendar | None = None) -> date:
    """Return the ``n``-th business day after ``d`` (``d`` itself never counts; n=0 gives ``d``).

    Business days are Monday to Friday minus ``holidays(year)`` (default
    ``us_federal_holidays``). A custom calendar must list every closed weekday that falls in the
    year it is asked for, including observed days such as a Friday 31 December.
    """
    if n < 0:
        raise DeadlineError(f"business days to add must not be negative, got {n}")
    holiday_calendar = us_federal_holidays if holidays is None else holidays
    closed_days_by_year: dict[int, frozenset[date]] = {}
    current = d
    remaining = n
    while remaining:
        current += timedelta(days=1)
        if current.weekday() >= _SATURDAY:
            continue
        closed_days = closed_days_by_year.get(current.year)
        if closed_days is None:
            closed_days = frozenset(holiday_calendar(current.year))
            closed_days_by_year[current.year] = closed_days
        if current in closed_days:
            continue
        remaining -= 1
    return current


def us_federal_holidays(year: int) -> set[date]:
    """Return the weekdays of ``year`` on which US federal offices close for a public holiday.

    The eleven holidays of 5 U.S.C. 6103(a): New Year's Day, Birthday of Martin Luther King Jr.
    (third Monday of January, from 1986), Washington's Birthday (third Monday of February),
    Memorial Day (last Monday of May), Juneteenth (19 June, from 2021), Independence Day,
    Labor Day (first Monday of September), Columbus Day (second Monday of October), Veterans
    Day (11 November), Thanksgiving (fourth Thursday of November) and Christmas Day. A holiday
    on a Saturday is observed on the Friday before and one on a Sunday on the Monday after, so
    New Year's Day of the next year can close 31 December of this one. Inauguration Day (a
    holiday only around Washington, D.C.) is not included.
    """
    closed_days: set[date] = set()
    for holiday_year in (year, year + 1):
        if holiday_year > MAXYEAR:
            continue
        for holiday in _federal_holidays_as_dated(holiday_year):
            observed = _observed_federal_day(holiday)
            if observed.year == year:
                closed_days.add(observed)
    return closed_days


def no_holidays(year: int) -> frozenset[date]:
    """Return no closed weekdays: a calendar of Monday-to-Friday business days only."""
    return frozenset()


def valid_zone(zone: str) -> bool:
    """Tell whether ``zone`` is an IANA time zone name this system knows."""
    try:
        _resolve_zone(zone)
    except DeadlineError:
        return False
    return True


def receipt_date(received_at: datetime, zone: str | tzinfo = "UTC") -> date:
    """Return the calendar date in ``zone`` on which a request stamped ``received_at`` arrived."""
    if received_at.tzinfo is None or received_at.utcoffset() is None:
        raise DeadlineError("received_at must be timezone-aware (UTC), got a naive datetime")
    return received_at.astimezone(_resolve_zone(zone)).date()


def end_of_due_day(due_on: date, zone: str | tzinfo = "UTC") -> datetime:
    """Return the UTC instant at which ``due_on`` ends in ``zone`` (midnight starting the next day).

    A response is on time when it is sent strictly before this instant.
    """
    _check_is_date("due_on", due_on)
    next_midnight = datetime.combine(due_on + timedelta(days=1), time(), _resolve_zone(zone))
    return next_midnight.astimezone(UTC)


def is_overdue(due_on: date, now: datetime, zone: str | tzinfo = "UTC") -> bool:
    """Return whether ``due_on`` has ended in ``zone`` at the aware instant ``now``."""
    return receipt_date(now, zone) > due_on


def _extend_gdpr(
    original_due_on: date, current_due_on: date, months: int | None, already_extended: bool
) -> date:
    months_used = next(
        (
            used
            for used in range(GDPR_MAX_EXTENSION_MONTHS + 1)
            if add_calendar_months(original_due_on, used) == current_due_on
        ),
        None,
    )
    if months_used is None:
        raise DeadlineError(
            f"current due date {current_due_on.isoformat()} is not the original due date "
            f"{original_due_on.isoformat()} or up to {GDPR_MAX_EXTENSION_MONTHS} whole months "
            "after it"
        )
    _check_extension_state(already_extended, extended=months_used > 0)
    months_left = GDPR_MAX_EXTENSION_MONTHS - months_used
    if months_left == 0:
        raise DeadlineError(
            f"already extended by {GDPR_MAX_EXTENSION_MONTHS} months, the most GDPR Art. 12(3) "
            "allows"
        )
    if months is None:
        months = months_left
    if months not in range(1, GDPR_MAX_EXTENSION_MONTHS + 1):
        raise DeadlineError(
            f"a GDPR extension is 1 or {GDPR_MAX_EXTENSION_MONTHS} months, got {months}"
        )
    if months > months_left:
        raise DeadlineError(
            f"extending by {months} more month(s) would make {months_used + months} in total; "
            f"GDPR Art. 12(3) allows at most {GDPR_MAX_EXTENSION_MONTHS} "
            f"({months_left} left)"
        )
    return add_calendar_months(original_due_on, months_used + months)


def _extend_ccpa(
    original_due_on: date, current_due_on: date, months: int | None, already_extended: bool
) -> date:
    if months is not None:
        raise DeadlineError(
            f"a CCPA extension is a fixed {CCPA_EXTENSION_DAYS} calendar days; leave months out"
        )
    if current_due_on == original_due_on:
        _check_extension_state(already_extended, extended=False)
    else:
        _check_extension_state(already_extended, extended=True)
        raise DeadlineError(
            f"the CCPA allows one {CCPA_EXTENSION_DAYS}-day extension only; this request was "
            f"already extended to {current_due_on.isoformat()}"
        )
    return original_due_on + timedelta(days=CCPA_EXTENSION_DAYS)


def _check_extension_state(already_extended: bool, *, extended: bool) -> None:
    # The caller's flag and the dates it passed come from the same stored request; when they
    # disagree the stored state is broken and no extension should be computed from it.
    if already_extended != extended:
        raise DeadlineError(
            f"already_extended={already_extended} contradicts the due dates given, which show "
            f"the request {'was' if extended else 'was not'} extended"
        )


def _federal_holidays_as_dated(year: int) -> list[date]:
    holidays = [
        date(year, 1, 1),
        _nth_weekday(year, 2, _MONDAY, 3),
        _nth_weekday(year, 5, _MONDAY, -1),
        date(year, 7, 4),
        _nth_weekday(year, 9, _MONDAY, 1),
        _nth_weekday(year, 10, _MONDAY, 2),
        date(year, 11, 11),
        _nth_weekday(year, 11, _THURSDAY, 4),
        date(year, 12, 25),
    ]
    if year >= 1986:
        holidays.append(_nth_weekday(year, 1, _MONDAY, 3))
    if year >= 2021:
        holidays.append(date(year, 6, 19))
    return holidays


def _observed_federal_day(holiday: date) -> date:
    if holiday.weekday() == _SATURDAY:
        return holiday - timedelta(days=1)
    if holiday.weekday() == _SUNDAY:
        return holiday + timedelta(days=1)
    return holiday


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    # n counts from the start of the month (1 = first); -1 means the last such weekday.
    if n > 0:
        first = date(year, month, 1)
        return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))
    last = date(year, month, calendar.monthrange(year, month)[1])
    return last - timedelta(days=(last.weekday() - weekday) % 7)


def _check_regime(regime: str) -> None:
    if regime not in REGIMES:
        raise DeadlineError(f"unknown regime {regime!r}; expected one of {', '.join(REGIMES)}")


def _check_is_date(name: str, value: object) -> None:
    # datetime is a subclass of date; letting one through would mix times into date arithmetic.
    if isinstance(value, datetime) or not isinstance(value, date):
        raise DeadlineError(
            f"{name} must be a date, got {type(value).__name__}; "
            "use receipt_date() to turn a timestamp into a date"
        )


def _resolve_zone(zone: str | tzinfo) -> tzinfo:
    if isinstance(zone, tzinfo):
        return zone
    try:
        return ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise DeadlineError(f"unknown time zone {zone!r}") from exc
