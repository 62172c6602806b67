"""Per-pair health rows for the health page, the API and the catalog/request panels.

A fixed number of queries whatever the number of pairs: one for the pairs with their counts
(correlated subqueries), one for the per-day chart of the pairs shown. The state itself is
:func:`replication.pair_state.pair_state` over those counts (one source of truth).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from django.db.models import Count, Exists, IntegerField, Min, OuterRef, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from replication.models import (
    UNRESOLVED_STATES,
    BucketPair,
    Incident,
    IncidentState,
    ReplicationEvent,
    Severity,
    SnsMessage,
    VerificationBatch,
)
from replication.pair_state import BADGE, PairCounts, pair_state

CHART_DAYS = 14
# A notification waiting longer than this for a worker means processing is behind (the hand-over is
# immediate and the schedule drains every minute).
PROCESSING_BEHIND = timedelta(minutes=2)


@dataclass
class DayCount:
    day: date
    failures: int = 0
    warnings: int = 0


@dataclass
class PairHealth:
    pair: BucketPair
    counts: PairCounts
    daily: list[DayCount] = field(default_factory=list)

    @property
    def state(self) -> str:
        return pair_state(self.counts)

    @property
    def badge(self) -> str:
        return BADGE[self.state]


@dataclass(frozen=True)
class Backlog:
    """Notifications stored by the hook and not yet processed by a worker: the health page's "processing
    is behind", ``/healthz``'s ``replication_processing`` check and the health API's ``processing``."""

    pending: int
    oldest_received_at: datetime | None
    now: datetime

    @property
    def oldest_age_seconds(self) -> float | None:
        """How long the oldest pending notification has waited (None when nothing waits)."""
        if self.oldest_received_at is None:
            return None
        return round(max((self.now - self.oldest_received_at).total_seconds(), 0.0), 3)

    @property
    def bound_seconds(self) -> int:
        return int(PROCESSING_BEHIND.total_seconds())

    @property
    def behind(self) -> bool:
        return self.oldest_received_at is not None and self.now - self.oldest_received_at > PROCESSING_BEHIND

    def as_dict(self) -> dict:
        """What ``/healthz`` and the health API report (times as ISO 8601)."""
        return {
            "pending": self.pending,
            "oldest_received_at": self.oldest_received_at.isoformat() if self.oldest_received_at else None,
            "oldest_age_seconds": self.oldest_age_seconds,
            "bound_seconds": self.bound_seconds,
            "behind": self.behind,
        }


def processing_backlog(now: datetime | None = None) -> Backlog:
    """One query (the pending rows' partial index serves it), whatever the number of messages."""
    row = SnsMessage.objects.filter(outcome=SnsMessage.Outcome.PENDING).aggregate(
        pending=Count("pk"), oldest=Min("received_at")
    )
    return Backlog(row["pending"], row["oldest"], now or timezone.now())


def _count(model, **filters) -> Coalesce:
    rows = (
        model.objects.filter(pair=OuterRef("pk"), **filters)
        .order_by()
        .values("pair")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(rows, output_field=IntegerField()), Value(0))


def _verified(**filters) -> Coalesce:
    rows = (
        VerificationBatch.objects.filter(pair=OuterRef("pk"), **filters)
        .order_by()
        .values("pair")
        .annotate(n=Sum("verified"))
        .values("n")
    )
    return Coalesce(Subquery(rows, output_field=IntegerField()), Value(0))


def pairs_with_counts(now: datetime | None = None) -> QuerySet:
    """Every pair with the counts its state needs; filter and paginate the result as you like."""
    now = now or timezone.now()
    day_ago, week_ago = now - timedelta(days=1), now - timedelta(days=7)
    return (
        BucketPair.objects.select_related("catalog_entry__owner")
        .annotate(
            open_failure_incidents=_count(Incident, state=IncidentState.OPEN, severity=Severity.FAILURE),
            unresolved_incidents=_count(Incident, state__in=UNRESOLVED_STATES),
            failures_24h=_count(ReplicationEvent, severity=Severity.FAILURE, occurred_at__gte=day_ago),
            failures_7d=_count(ReplicationEvent, severity=Severity.FAILURE, occurred_at__gte=week_ago),
            warnings_7d=_count(ReplicationEvent, severity=Severity.WARNING, occurred_at__gte=week_ago),
        )
        .order_by("-last_failure_at", "primary_bucket", "replica_bucket")
    )


def filter_pairs(pairs: QuerySet, *, environment: str = "", owner: str = "") -> QuerySet:
    if environment:
        pairs = pairs.filter(catalog_entry__environment=environment)
    if owner:
        pairs = pairs.filter(catalog_entry__owner__slug=owner)
    return pairs


def health_rows(pairs, now: datetime | None = None) -> list[PairHealth]:
    """Rows for already-evaluated annotated pairs (a page of them), with their chart data."""
    now = now or timezone.now()
    pairs = list(pairs)
    daily = _daily_counts([pair.pk for pair in pairs], now)
    verified = _verified_counts([pair.pk for pair in pairs], now)
    return [
        PairHealth(
            pair=pair,
            counts=PairCounts(
                open_failure_incidents=pair.open_failure_incidents,
                unresolved_incidents=pair.unresolved_incidents,
                failures_24h=pair.failures_24h,
                failures_7d=pair.failures_7d,
                warnings_7d=pair.warnings_7d,
                has_data=pair.last_event_at is not None or verified[pair.pk]["ever_verified"],
                verified_24h=verified[pair.pk]["verified_24h"],
                verified_7d=verified[pair.pk]["verified_7d"],
            ),
            daily=daily.get(pair.pk) or _empty_days(now),
        )
        for pair in pairs
    ]


def _verified_counts(pair_ids: list[int], now: datetime) -> dict[int, dict]:
    """Verified counts of the pairs shown: one query for a page, not a subquery per skipped row."""
    if not pair_ids:
        return {}
    rows = (
        BucketPair.objects.filter(pk__in=pair_ids)
        .annotate(
            verified_24h=_verified(reported_at__gte=now - timedelta(days=1)),
            verified_7d=_verified(reported_at__gte=now - timedelta(days=7)),
            ever_verified=Exists(VerificationBatch.objects.filter(pair=OuterRef("pk"))),
        )
        .values("pk", "verified_24h", "verified_7d", "ever_verified")
    )
    return {row.pop("pk"): row for row in rows}


def _empty_days(now: datetime) -> list[DayCount]:
    today = now.astimezone(UTC).date()
    return [DayCount(today - timedelta(days=offset)) for offset in range(CHART_DAYS - 1, -1, -1)]


def _daily_counts(pair_ids: list[int], now: datetime) -> dict[int, list[DayCount]]:
    if not pair_ids:
        return {}
    start = datetime.combine(_empty_days(now)[0].day, time.min, tzinfo=UTC)
    rows = (
        # A plain range on occurred_at (not a __date lookup) so the (pair, occurred_at) index serves it.
        ReplicationEvent.objects.filter(
            pair_id__in=pair_ids, severity__in=[Severity.FAILURE, Severity.WARNING], occurred_at__gte=start
        )
        .annotate(day=TruncDate("occurred_at", tzinfo=UTC))
        .values("pair_id", "day", "severity")
        .annotate(n=Count("pk"))
        .order_by()
    )
    days_by_pair: dict[int, dict[date, DayCount]] = {}
    for row in rows:
        days = days_by_pair.setdefault(row["pair_id"], {slot.day: slot for slot in _empty_days(now)})
        slot = days.get(row["day"])
        if slot is None:  # an event dated after today
            continue
        if row["severity"] == Severity.FAILURE:
            slot.failures += row["n"]
        else:
            slot.warnings += row["n"]
    return {pair_id: list(days.values()) for pair_id, days in days_by_pair.items()}
