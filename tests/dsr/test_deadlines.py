"""Statutory deadline arithmetic for GDPR and CCPA requests."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from service.dsr.deadlines import (
    REQUEST_TYPES,
    DeadlineError,
    Deadlines,
    add_business_days,
    add_calendar_months,
    compute_deadlines,
    end_of_due_day,
    extend_due_date,
    is_overdue,
    receipt_date,
    us_federal_holidays,
)

D = date


def no_holidays(_year: int) -> set[date]:
    return set()


# --- calendar months ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("received_on", "due_on"),
    [
        (D(2023, 1, 31), D(2023, 2, 28)),  # February has no 31st
        (D(2024, 1, 31), D(2024, 2, 29)),  # leap year
        (D(2028, 1, 30), D(2028, 2, 29)),  # leap year, 30th
        (D(2100, 1, 31), D(2100, 2, 28)),  # divisible by 100: not a leap year
        (D(2000, 1, 31), D(2000, 2, 29)),  # divisible by 400: a leap year
        (D(2028, 2, 29), D(2028, 3, 29)),  # same day number, not the month's end
        (D(2023, 2, 28), D(2023, 3, 28)),  # month's end does not stick to month's end
        (D(2023, 3, 31), D(2023, 4, 30)),
        (D(2023, 5, 31), D(2023, 6, 30)),
        (D(2023, 8, 31), D(2023, 9, 30)),
        (D(2023, 12, 15), D(2024, 1, 15)),  # December rolls into next year
        (D(2023, 12, 31), D(2024, 1, 31)),
        (D(2024, 3, 5), D(2024, 4, 5)),
    ],
)
def test_gdpr_due_date_is_one_calendar_month_after_receipt(received_on, due_on):
    deadlines = compute_deadlines("gdpr", "access", received_on)

    assert deadlines == Deadlines(
        due_on=due_on, acknowledge_by=None, max_extension_months=2, max_extension_days=0
    )


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (D(2024, 1, 31), 2, D(2024, 3, 31)),
        (D(2024, 1, 31), 3, D(2024, 4, 30)),
        (D(2023, 11, 30), 3, D(2024, 2, 29)),
        (D(2099, 12, 31), 2, D(2100, 2, 28)),
        (D(2024, 3, 31), -1, D(2024, 2, 29)),
        (D(2024, 1, 15), -1, D(2023, 12, 15)),
        (D(2024, 5, 17), 12, D(2025, 5, 17)),
        (D(2024, 2, 29), 12, D(2025, 2, 28)),
        (D(2024, 5, 17), 0, D(2024, 5, 17)),
    ],
)
def test_add_calendar_months_clamps_to_the_last_day_of_the_month(start, months, expected):
    assert add_calendar_months(start, months) == expected


@pytest.mark.parametrize("request_type", REQUEST_TYPES)
def test_gdpr_gives_every_request_type_the_same_one_month_deadline(request_type):
    deadlines = compute_deadlines("gdpr", request_type, D(2024, 1, 31))

    assert deadlines.due_on == D(2024, 2, 29)
    assert deadlines.max_extension_months == 2


# --- US federal holidays -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("year", "expected"),
    [
        (
            2024,
            {
                D(2024, 1, 1),
                D(2024, 1, 15),
                D(2024, 2, 19),
                D(2024, 5, 27),
                D(2024, 6, 19),
                D(2024, 7, 4),
                D(2024, 9, 2),
                D(2024, 10, 14),
                D(2024, 11, 11),
                D(2024, 11, 28),
                D(2024, 12, 25),
            },
        ),
        (
            # Juneteenth and Christmas on Saturdays move to Friday, Independence Day on a Sunday
            # moves to Monday, and New Year's Day 2022 (a Saturday) closes Friday 31 Dec 2021.
            2021,
            {
                D(2021, 1, 1),
                D(2021, 1, 18),
                D(2021, 2, 15),
                D(2021, 5, 31),
                D(2021, 6, 18),
                D(2021, 7, 5),
                D(2021, 9, 6),
                D(2021, 10, 11),
                D(2021, 11, 11),
                D(2021, 11, 25),
                D(2021, 12, 24),
                D(2021, 12, 31),
            },
        ),
        (
            # New Year's Day was observed in 2021, so 2022 has ten closed days.
            2022,
            {
                D(2022, 1, 17),
                D(2022, 2, 21),
                D(2022, 5, 30),
                D(2022, 6, 20),
                D(2022, 7, 4),
                D(2022, 9, 5),
                D(2022, 10, 10),
                D(2022, 11, 11),
                D(2022, 11, 24),
                D(2022, 12, 26),
            },
        ),
        (
            # New Year's Day on a Sunday -> Monday 2 Jan; Veterans Day on a Saturday -> Friday.
            2023,
            {
                D(2023, 1, 2),
                D(2023, 1, 16),
                D(2023, 2, 20),
                D(2023, 5, 29),
                D(2023, 6, 19),
                D(2023, 7, 4),
                D(2023, 9, 4),
                D(2023, 10, 9),
                D(2023, 11, 10),
                D(2023, 11, 23),
                D(2023, 12, 25),
            },
        ),
    ],
)
def test_us_federal_holidays_match_the_opm_calendar(year, expected):
    assert us_federal_holidays(year) == expected


def test_juneteenth_is_not_a_holiday_before_2021():
    assert D(2019, 6, 19) not in us_federal_holidays(2019)
    assert len(us_federal_holidays(2019)) == 10


# --- business days -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        (D(2024, 5, 20), 1, D(2024, 5, 21)),  # Monday -> Tuesday
        (D(2024, 5, 17), 1, D(2024, 5, 20)),  # Friday -> Monday over the weekend
        (D(2024, 5, 18), 1, D(2024, 5, 20)),  # received on a Saturday
        (D(2024, 5, 24), 1, D(2024, 5, 28)),  # Friday before Memorial Day (Monday)
        (D(2024, 11, 27), 1, D(2024, 11, 29)),  # over Thanksgiving
        (D(2021, 12, 23), 1, D(2021, 12, 27)),  # observed Christmas on Friday 24 Dec
        (D(2021, 12, 30), 1, D(2022, 1, 3)),  # observed New Year on Friday 31 Dec
        (D(2024, 5, 24), 0, D(2024, 5, 24)),
        (D(2024, 5, 20), 4, D(2024, 5, 24)),
        (D(2024, 5, 20), 5, D(2024, 5, 28)),  # the fifth lands after Memorial Day
        (D(2024, 5, 20), 10, D(2024, 6, 4)),  # two weeks plus Memorial Day
    ],
)
def test_add_business_days_skips_weekends_and_federal_holidays(start, n, expected):
    assert add_business_days(start, n) == expected


def test_add_business_days_uses_an_injected_holiday_calendar():
    cesar_chavez_day = D(2025, 3, 31)  # a California state holiday, not a federal one

    def california_offices(year: int) -> set[date]:
        return us_federal_holidays(year) | ({cesar_chavez_day} if year == 2025 else set())

    assert add_business_days(D(2025, 3, 28), 1) == D(2025, 3, 31)
    assert add_business_days(D(2025, 3, 28), 1, california_offices) == D(2025, 4, 1)
    assert add_business_days(D(2024, 5, 24), 1, no_holidays) == D(2024, 5, 27)


def test_add_business_days_refuses_a_negative_count():
    with pytest.raises(DeadlineError, match="negative"):
        add_business_days(D(2024, 5, 24), -1)


# --- CCPA --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("received_on", "due_on"),
    [
        (D(2024, 3, 1), D(2024, 4, 15)),
        (D(2023, 3, 1), D(2023, 4, 15)),
        (D(2024, 2, 1), D(2024, 3, 17)),  # 29 February counts as a day
        (D(2023, 2, 1), D(2023, 3, 18)),
        (D(2023, 12, 1), D(2024, 1, 15)),
        (D(2024, 1, 5), D(2024, 2, 19)),  # lands on Presidents' Day and is not moved
    ],
)
def test_ccpa_response_is_due_45_calendar_days_after_receipt(received_on, due_on):
    for request_type in ("access", "portability", "erasure", "rectification"):
        deadlines = compute_deadlines("ccpa", request_type, received_on)

        assert deadlines.due_on == due_on
        assert deadlines.max_extension_days == 45
        assert deadlines.max_extension_months == 0


def test_ccpa_acknowledgement_is_due_ten_business_days_after_receipt():
    # Received the Friday before Memorial Day: the Monday holiday does not count.
    deadlines = compute_deadlines("ccpa", "access", D(2024, 5, 24))

    assert deadlines == Deadlines(
        due_on=D(2024, 7, 8),
        acknowledge_by=D(2024, 6, 10),
        max_extension_months=0,
        max_extension_days=45,
    )


def test_ccpa_acknowledgement_counts_only_the_injected_holidays():
    deadlines = compute_deadlines("ccpa", "erasure", D(2024, 5, 24), holidays=no_holidays)

    assert deadlines.acknowledge_by == D(2024, 6, 7)


@pytest.mark.parametrize("request_type", ["opt_out", "restriction"])
def test_ccpa_opt_out_and_limit_requests_are_due_in_15_business_days(request_type):
    deadlines = compute_deadlines("ccpa", request_type, D(2024, 5, 24))

    assert deadlines == Deadlines(
        due_on=D(2024, 6, 17), acknowledge_by=None, max_extension_months=0, max_extension_days=0
    )


def test_ccpa_opt_out_deadline_crosses_juneteenth_and_independence_day():
    # 15 business days from Fri 14 June 2024 skip 19 June and 4 July.
    assert compute_deadlines("ccpa", "opt_out", D(2024, 6, 14)).due_on == D(2024, 7, 9)


def test_ccpa_has_no_objection_right():
    with pytest.raises(DeadlineError, match="no right to 'objection'"):
        compute_deadlines("ccpa", "objection", D(2024, 5, 24))


@pytest.mark.parametrize(
    ("regime", "request_type", "message"),
    [
        ("lgpd", "access", "unknown regime 'lgpd'"),
        ("gdpr", "deletion", "unknown request type 'deletion'"),
    ],
)
def test_compute_deadlines_rejects_unknown_names(regime, request_type, message):
    with pytest.raises(DeadlineError, match=message):
        compute_deadlines(regime, request_type, D(2024, 5, 24))


def test_compute_deadlines_refuses_a_datetime_for_the_receipt_date():
    with pytest.raises(DeadlineError, match="received_on must be a date"):
        compute_deadlines("gdpr", "access", datetime(2024, 5, 24, 12, tzinfo=UTC))


# --- extensions --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("original", "current", "months", "already_extended", "expected"),
    [
        (D(2024, 2, 29), D(2024, 2, 29), 2, False, D(2024, 4, 29)),
        (D(2024, 2, 29), D(2024, 2, 29), 1, False, D(2024, 3, 29)),
        (D(2024, 2, 29), D(2024, 2, 29), None, False, D(2024, 4, 29)),  # all that is left
        (D(2024, 2, 29), D(2024, 3, 29), 1, True, D(2024, 4, 29)),  # 1 + 1 month
        (D(2024, 2, 29), D(2024, 3, 29), None, True, D(2024, 4, 29)),
        # Counted from the original due date: 28 Feb + 1 month is 28 Mar, not 31 Mar.
        (D(2023, 2, 28), D(2023, 2, 28), 1, False, D(2023, 3, 28)),
        (D(2024, 12, 31), D(2024, 12, 31), 2, False, D(2025, 2, 28)),
        # 31 Jan + 1 month clamps to 29 Feb, but +2 months from 31 Jan is 31 Mar.
        (D(2024, 1, 31), D(2024, 2, 29), 1, True, D(2024, 3, 31)),
    ],
)
def test_gdpr_extension_counts_months_from_the_original_due_date(
    original, current, months, already_extended, expected
):
    new_due_on = extend_due_date(
        "gdpr",
        original,
        current,
        months=months,
        today=original - timedelta(days=3),
        already_extended=already_extended,
    )

    assert new_due_on == expected


@pytest.mark.parametrize(
    ("current", "months", "already_extended", "message"),
    [
        (D(2024, 2, 29), 3, False, "1 or 2 months, got 3"),
        (D(2024, 2, 29), 0, False, "1 or 2 months, got 0"),
        (D(2024, 2, 29), -1, False, "1 or 2 months, got -1"),
        (D(2024, 3, 29), 2, True, "3 in total; GDPR Art. 12\\(3\\) allows at most 2"),
        (D(2024, 4, 29), 1, True, "already extended by 2 months"),
        (D(2024, 4, 29), None, True, "already extended by 2 months"),
        (D(2024, 3, 15), 1, True, "not the original due date"),
        (D(2024, 3, 29), 1, False, "already_extended=False contradicts"),
        (D(2024, 2, 29), 1, True, "already_extended=True contradicts"),
    ],
)
def test_gdpr_extension_beyond_two_months_or_from_inconsistent_state_is_refused(
    current, months, already_extended, message
):
    with pytest.raises(DeadlineError, match=message):
        extend_due_date(
            "gdpr",
            D(2024, 2, 29),
            current,
            months=months,
            today=D(2024, 2, 20),
            already_extended=already_extended,
        )


@pytest.mark.parametrize("regime", ["gdpr", "ccpa"])
def test_extension_is_refused_once_the_original_due_date_has_passed(regime):
    with pytest.raises(DeadlineError, match="too late to extend.*by 2024-02-29.*2024-03-01"):
        extend_due_date(
            regime,
            D(2024, 2, 29),
            D(2024, 2, 29),
            today=D(2024, 3, 1),
            already_extended=False,
        )


def test_gdpr_second_extension_must_also_be_notified_within_the_first_month():
    # The first month ended on 29 Feb; the request now runs to 29 Mar.
    with pytest.raises(DeadlineError, match="too late to extend"):
        extend_due_date(
            "gdpr",
            D(2024, 2, 29),
            D(2024, 3, 29),
            months=1,
            today=D(2024, 3, 10),
            already_extended=True,
        )


@pytest.mark.parametrize("regime", ["gdpr", "ccpa"])
def test_extension_on_the_due_date_itself_is_allowed(regime):
    new_due_on = extend_due_date(
        regime, D(2024, 4, 15), D(2024, 4, 15), today=D(2024, 4, 15), already_extended=False
    )

    assert new_due_on == {"gdpr": D(2024, 6, 15), "ccpa": D(2024, 5, 30)}[regime]


def test_ccpa_extension_adds_45_calendar_days_for_90_in_total():
    received_on = D(2024, 3, 1)
    original = compute_deadlines("ccpa", "access", received_on).due_on

    new_due_on = extend_due_date(
        "ccpa", original, original, today=D(2024, 3, 20), already_extended=False
    )

    assert new_due_on == D(2024, 5, 30)
    assert (new_due_on - received_on).days == 90


@pytest.mark.parametrize(
    ("current", "already_extended", "message"),
    [
        (D(2024, 5, 30), True, "one 45-day extension only; this request was already extended"),
        (D(2024, 4, 15), True, "already_extended=True contradicts"),
        (D(2024, 5, 30), False, "already_extended=False contradicts"),
    ],
)
def test_ccpa_second_extension_is_refused(current, already_extended, message):
    with pytest.raises(DeadlineError, match=message):
        extend_due_date(
            "ccpa",
            D(2024, 4, 15),
            current,
            today=D(2024, 4, 1),
            already_extended=already_extended,
        )


def test_ccpa_extension_refuses_a_month_count():
    with pytest.raises(DeadlineError, match="fixed 45 calendar days; leave months out"):
        extend_due_date(
            "ccpa",
            D(2024, 4, 15),
            D(2024, 4, 15),
            months=1,
            today=D(2024, 4, 1),
            already_extended=False,
        )


@pytest.mark.parametrize("request_type", ["opt_out", "restriction"])
def test_ccpa_opt_out_and_limit_requests_cannot_be_extended(request_type):
    with pytest.raises(DeadlineError, match=f"a ccpa '{request_type}' request cannot be extended"):
        extend_due_date(
            "ccpa",
            D(2024, 6, 17),
            D(2024, 6, 17),
            today=D(2024, 6, 1),
            already_extended=False,
            request_type=request_type,
        )


def test_extension_with_an_extendable_request_type_is_allowed():
    new_due_on = extend_due_date(
        "gdpr",
        D(2024, 6, 17),
        D(2024, 6, 17),
        months=1,
        today=D(2024, 6, 1),
        already_extended=False,
        request_type="opt_out",
    )

    assert new_due_on == D(2024, 7, 17)


# --- receipt dates and the end of the due day --------------------------------------------------


def test_receipt_date_is_the_date_in_the_configured_zone():
    late_evening_utc = datetime(2024, 1, 31, 23, 30, tzinfo=UTC)

    assert receipt_date(late_evening_utc) == D(2024, 1, 31)
    assert receipt_date(late_evening_utc, "Europe/Berlin") == D(2024, 2, 1)
    assert receipt_date(late_evening_utc, timezone(timedelta(hours=-8))) == D(2024, 1, 31)
    # The zone decides the receipt date, and so the deadline: 29 Feb in UTC, 1 Mar in Berlin.
    berlin_receipt = receipt_date(late_evening_utc, "Europe/Berlin")
    assert compute_deadlines("gdpr", "access", berlin_receipt).due_on == D(2024, 3, 1)
    assert compute_deadlines("gdpr", "access", receipt_date(late_evening_utc)).due_on == D(
        2024, 2, 29
    )


def test_receipt_date_refuses_naive_timestamps_and_unknown_zones():
    with pytest.raises(DeadlineError, match="timezone-aware"):
        receipt_date(datetime(2024, 1, 31, 23, 30))
    with pytest.raises(DeadlineError, match="unknown time zone 'Mars/Olympus'"):
        receipt_date(datetime(2024, 1, 31, 23, 30, tzinfo=UTC), "Mars/Olympus")


def test_due_date_ends_at_midnight_in_the_configured_zone():
    assert end_of_due_day(D(2024, 4, 15)) == datetime(2024, 4, 16, tzinfo=UTC)
    # Los Angeles is on PDT (UTC-7) in April.
    assert end_of_due_day(D(2024, 4, 15), "America/Los_Angeles") == datetime(
        2024, 4, 16, 7, tzinfo=UTC
    )


@pytest.mark.parametrize(
    ("now", "overdue"),
    [
        (datetime(2024, 4, 15, 23, 59, 59, tzinfo=UTC), False),
        (datetime(2024, 4, 16, 0, 0, tzinfo=UTC), True),
    ],
)
def test_a_request_is_overdue_only_after_its_due_day_ends(now, overdue):
    assert is_overdue(D(2024, 4, 15), now) is overdue
