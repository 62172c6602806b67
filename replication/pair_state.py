"""The health state of a bucket pair, from a handful of counts (a pure function).

The definitions are shown on the health page and in docs/replication-health.md:

- **failing**: an *open* (not yet acknowledged) failure incident, or any failure in the last 24 hours;
- **degraded**: not failing, but an unresolved incident (acknowledged, or a threshold warning),
  or a failure or warning in the last 7 days;
- **healthy**: none of the above;
- **no data yet**: the pair is known (from the catalog) but nothing was verified or reported for it yet.
"""

from __future__ import annotations

from dataclasses import dataclass

HEALTHY = "healthy"
DEGRADED = "degraded"
FAILING = "failing"
NO_DATA = "no data yet"

STATE_DEFINITIONS = {
    HEALTHY: "No unresolved incident and no failure or warning in the last 7 days.",
    DEGRADED: "Not failing, but an incident is still unresolved (acknowledged, or a replication-time "
    "warning) or a failure or warning happened in the last 7 days.",
    FAILING: "An open, unacknowledged failure incident, or a failure in the last 24 hours.",
    NO_DATA: "The pair is in the catalog, but no verification or replication event has arrived for it yet.",
}
BADGE = {HEALTHY: "ok", DEGRADED: "warn", FAILING: "bad", NO_DATA: "none"}


@dataclass(frozen=True)
class PairCounts:
    open_failure_incidents: int = 0
    unresolved_incidents: int = 0
    failures_24h: int = 0
    failures_7d: int = 0
    warnings_7d: int = 0
    has_data: bool = True  # any event or verification ever recorded for the pair
    verified_24h: int = 0  # object versions the validator verified (shown, not part of the state)
    verified_7d: int = 0


def pair_state(counts: PairCounts) -> str:
    if not counts.has_data:
        return NO_DATA
    if counts.open_failure_incidents or counts.failures_24h:
        return FAILING
    if counts.unresolved_incidents or counts.failures_7d or counts.warnings_7d:
        return DEGRADED
    return HEALTHY
