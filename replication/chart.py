"""A tiny per-day bar chart as data for an inline SVG (no JavaScript, no external library).

Failures are drawn above warnings in each day's bar; the text alternative lists the days
that had any, so a screen reader (or a phone with images off) gets the same information.
"""

from __future__ import annotations

from dataclasses import dataclass

WIDTH, HEIGHT, GAP = 140, 32, 2


@dataclass(frozen=True)
class Bar:
    x: int
    width: int
    failure_y: float
    failure_height: float
    warning_y: float
    warning_height: float
    label: str


def bars(daily) -> list[Bar]:
    """``daily``: DayCount rows, oldest first. Heights scale to the busiest day."""
    if not daily:
        return []
    peak = max((d.failures + d.warnings for d in daily), default=0) or 1
    slot = WIDTH // len(daily)
    result = []
    for index, day in enumerate(daily):
        failure_height = HEIGHT * day.failures / peak
        warning_height = HEIGHT * day.warnings / peak
        result.append(
            Bar(
                x=index * slot,
                width=slot - GAP,
                failure_y=HEIGHT - failure_height - warning_height,
                failure_height=failure_height,
                warning_y=HEIGHT - warning_height,
                warning_height=warning_height,
                label=f"{day.day:%b %d}: {day.failures} failures, {day.warnings} warnings",
            )
        )
    return result


def text_alternative(daily) -> str:
    busy = [
        f"{d.day:%b %d}: {d.failures} failures, {d.warnings} warnings"
        for d in daily
        if d.failures or d.warnings
    ]
    if not busy:
        return f"No failures or warnings in the last {len(daily)} days."
    return f"Last {len(daily)} days — " + "; ".join(busy) + "."
