"""The state of a pair as a table of cases, and the chart's geometry and text alternative."""

from datetime import date, timedelta

import pytest

from replication import chart
from replication.overview import DayCount
from replication.pair_state import DEGRADED, FAILING, HEALTHY, PairCounts, pair_state


@pytest.mark.parametrize(
    "counts, expected",
    [
        (PairCounts(), HEALTHY),
        (PairCounts(open_failure_incidents=1, unresolved_incidents=1), FAILING),
        (PairCounts(failures_24h=1, failures_7d=1), FAILING),
        (
            PairCounts(failures_24h=2, failures_7d=2, unresolved_incidents=1),
            FAILING,
        ),  # acknowledged, still recent
        (PairCounts(unresolved_incidents=1, failures_7d=1), DEGRADED),  # acknowledged, older than a day
        (PairCounts(unresolved_incidents=1, warnings_7d=1), DEGRADED),  # threshold warning incident
        (PairCounts(failures_7d=3), DEGRADED),  # resolved, but within the week
        (PairCounts(warnings_7d=1), DEGRADED),
        (PairCounts(unresolved_incidents=1), DEGRADED),  # an old incident nobody closed
    ],
)
def test_pair_state(counts, expected):
    assert pair_state(counts) == expected


def test_bars_scale_to_the_busiest_day_and_stack_failures_on_warnings():
    days = [DayCount(date(2026, 11, 1) + timedelta(days=i)) for i in range(14)]
    days[3].failures, days[3].warnings = 3, 1
    days[10].failures = 2
    bars = chart.bars(days)
    assert len(bars) == 14
    assert bars[3].failure_height + bars[3].warning_height == pytest.approx(chart.HEIGHT)
    assert bars[3].warning_y == pytest.approx(chart.HEIGHT - bars[3].warning_height)
    assert bars[10].failure_height == pytest.approx(chart.HEIGHT / 2)
    assert bars[0].failure_height == 0 and bars[0].label == "Nov 01: 0 failures, 0 warnings"
    assert (
        chart.text_alternative(days)
        == "Last 14 days — Nov 04: 3 failures, 1 warnings; Nov 11: 2 failures, 0 warnings."
    )


def test_an_empty_chart_says_so():
    days = [DayCount(date(2026, 11, 1) + timedelta(days=i)) for i in range(14)]
    assert chart.text_alternative(days) == "No failures or warnings in the last 14 days."
