"""Build events, incidents and verification counts from stored Notifications: the worker's half of ingestion.

The hook stores a verified Notification as a ``pending`` :class:`SnsMessage` and asks for a drain
after its commit (:func:`request_drain`); a worker runs :func:`process_pending`, and so does a
schedule every minute, which catches a hand-over lost between the commit and the broker.

- **In order per pair.** Pending messages are taken per bucket pair (the lane the hook stored),
  oldest SNS Timestamp first, then arrival, in batches; a batch is processed under a row lock on
  the pair (PostgreSQL: ``select_for_update``; SQLite: the write lock every transaction takes at
  ``BEGIN``), so two workers never work on one pair at once.
- **Idempotent.** A message leaves ``pending`` in the transaction that stored its events, and only
  pending messages are taken under the lock; the unique ``dedupe_key`` and ``summary_id`` make a
  re-published failure or summary one more report, as before.
- **One task per burst, not per delivery.** A flag in the shared cache says a drain is queued or
  running; the hook hands a task over only when it can set the flag. A drain clears the flag once
  it found nothing left, then drains once more (waiting for pairs other workers hold): a message
  stored before the clear is taken by that last round, one stored after it hands over a new task.

docs/decisions/health-sns-ingestion-queue.md says why.
"""

from __future__ import annotations

import logging
from collections import Counter
from datetime import datetime

from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import DateTimeField, F, Min, Value
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone
from django_q.tasks import async_task

from core import audit
from replication.events import (
    FAILURE,
    INFO,
    MessageContents,
    ReplicationFact,
    UnreadableMessage,
    VerificationSummary,
    read_message,
)
from replication.models import (
    UNRESOLVED_STATES,
    BucketPair,
    Incident,
    ReplicationEvent,
    SnsMessage,
    VerificationBatch,
)
from requests_app.models import CatalogEntry

logger = logging.getLogger(__name__)

SNS_ACTOR = "sns"
DRAIN_TASK = "replication.tasks.process_pending"
DRAIN_FLAG = "replication-drain-queued"
# A drain that died leaves its flag: after this long a new delivery hands over a task again
# (the minute schedule drains meanwhile).
DRAIN_FLAG_SECONDS = 120
# Messages per transaction. SQLite holds its one write lock for a batch, so the hook's inserts
# wait at most one batch (well under a second).
BATCH_SIZE = 100


def request_drain() -> None:
    """After a hook's commit: hand a drain to the task queue unless one is queued or running.

    A broker that cannot take it loses nothing: the message stays pending for the schedule.
    """
    if not cache.add(DRAIN_FLAG, "queued", timeout=DRAIN_FLAG_SECONDS):
        return
    try:
        async_task(DRAIN_TASK, task_name="replication-drain", group="replication")
    except Exception:  # any broker failure: connection refused, timeout, database locked
        cache.delete(DRAIN_FLAG)
        logger.warning("handover of an SNS drain failed; the schedule will drain", exc_info=True)


def process_pending(batch_size: int = BATCH_SIZE) -> int:
    """Process every pending message, pair by pair, in order; returns how many were processed."""
    processed = _drain(wait=False, batch_size=batch_size)
    cache.delete(DRAIN_FLAG)  # a delivery from now on hands over a drain of its own
    processed += _drain(wait=True, batch_size=batch_size)
    if processed:
        logger.info("SNS messages processed", extra={"processed": processed})
    return processed


def pending_pairs() -> list[tuple[str, str]]:
    """The pairs with pending messages, the longest waiting first."""
    rows = (
        SnsMessage.objects.filter(outcome=SnsMessage.Outcome.PENDING)
        .values("primary_bucket", "replica_bucket")
        .annotate(oldest=Min("received_at"))
        .order_by("oldest")
    )
    return [(row["primary_bucket"], row["replica_bucket"]) for row in rows]


def _drain(*, wait: bool, batch_size: int) -> int:
    """Rounds over the pending pairs until one processes nothing. Without ``wait`` a pair another
    worker holds is skipped (it drains that pair itself); with ``wait`` its lock is waited for.

    A pair whose batch fails (its transaction rolls back) is processed again one message at a time
    (:func:`_drain_one_by_one`), so one message that cannot be processed neither holds up its pair
    nor is retried forever; a pair that fails even so (the database went away) is left for the
    schedule, logged, while the other pairs go on."""
    total, failed = 0, set()
    while True:
        processed = 0
        for pair in pending_pairs():
            if pair in failed:
                continue
            try:
                processed += _drain_pair(pair, wait=wait, batch_size=batch_size)
            except Exception:
                logger.exception("processing SNS messages of pair %s -> %s failed; one by one now", *pair)
                try:
                    processed += _drain_one_by_one(pair)
                except Exception:
                    logger.exception("processing SNS messages of pair %s -> %s failed", *pair)
                    failed.add(pair)
        total += processed
        if not processed:
            return total


def _drain_one_by_one(names: tuple[str, str]) -> int:
    """Each pending message of the pair in its own transaction. One that fails alone is kept as
    unreadable (its envelope stays for a person to look at, the log says why) and the pair goes on. A
    batch that failed because another lane wrote one of its events first succeeds here: alone, the
    message sees that event and counts a repeat."""
    pending = SnsMessage.objects.filter(
        outcome=SnsMessage.Outcome.PENDING, primary_bucket=names[0], replica_bucket=names[1]
    )
    processed = 0
    for message_id in list(pending.order_by("sent_at", "pk").values_list("pk", flat=True)):
        try:
            with audit.atomic():
                pair = _lock_pair(*names, wait=True)
                process_batch(list(pending.filter(pk=message_id)), pair)
        except Exception:
            logger.exception("SNS message %s cannot be processed: kept as unreadable", message_id)
            pending.filter(pk=message_id).update(
                outcome=SnsMessage.Outcome.UNREADABLE, processed_at=timezone.now()
            )
        processed += 1
    return processed


def _drain_pair(names: tuple[str, str], *, wait: bool, batch_size: int) -> int:
    processed = 0
    while True:
        # Audit entries (an incident opened) are appended at the end: the chain's lock is not held
        # while the batch works, and is taken after the pair's and incidents' locks, as elsewhere.
        with audit.atomic():
            pair = _lock_pair(*names, wait=wait)
            if pair is None:
                return processed
            batch = list(
                SnsMessage.objects.filter(
                    outcome=SnsMessage.Outcome.PENDING, primary_bucket=names[0], replica_bucket=names[1]
                ).order_by("sent_at", "pk")[:batch_size]
            )
            process_batch(batch, pair)
        processed += len(batch)
        if len(batch) < batch_size:
            return processed


def _lock_pair(primary_bucket: str, replica_bucket: str, *, wait: bool) -> BucketPair | None:
    """The pair, locked for this transaction; None when another worker holds it and ``wait`` is off."""
    pair, _ = BucketPair.objects.get_or_create(primary_bucket=primary_bucket, replica_bucket=replica_bucket)
    locked = BucketPair.objects.select_for_update(skip_locked=not wait).filter(pk=pair.pk).first()
    return _linked_to_catalog(locked) if locked else None


def process_batch(messages: list[SnsMessage], lane: BucketPair) -> None:
    """Build what pending messages of one pair say, in their order, and mark each processed.

    A few queries per batch rather than several per message: the known dedupe keys in one query, the
    new events in one insert, each incident and pair updated once. ``lane`` is locked.
    """
    now = timezone.now()
    facts: list[tuple[SnsMessage, ReplicationFact]] = []
    for message in messages:
        contents = _read(message)
        if contents is None:
            message.outcome = SnsMessage.Outcome.UNREADABLE
        elif contents.summary is not None:
            message.outcome = _record_summary(contents.summary, message, lane)
        else:
            message.outcome = SnsMessage.Outcome.REPEATED if contents.facts else SnsMessage.Outcome.STORED
            facts.extend((message, fact) for fact in contents.facts)
        message.processed_at = now
    known_keys = set(
        ReplicationEvent.objects.filter(dedupe_key__in={fact.dedupe_key for _, fact in facts}).values_list(
            "dedupe_key", flat=True
        )
    )
    repeats: Counter[str] = Counter()
    incidents: dict[tuple[int, str], Incident] = {}
    moments: dict[int, tuple[BucketPair, list[datetime], list[datetime]]] = {}  # pair: events, failures
    events = []
    for message, fact in facts:
        if fact.dedupe_key in known_keys:
            repeats[fact.dedupe_key] += 1
            continue
        known_keys.add(fact.dedupe_key)
        message.outcome = SnsMessage.Outcome.STORED
        pair = _same_or_other_pair(lane, fact)
        occurred_at = fact.occurred_at or message.sent_at
        incident = None if fact.severity == INFO else _add_to_incident(incidents, pair, fact, occurred_at)
        events.append(_event(fact, message, pair, incident, occurred_at, now))
        _, event_times, failure_times = moments.setdefault(pair.pk, (pair, [], []))
        event_times.append(occurred_at)
        if fact.severity == FAILURE:
            failure_times.append(occurred_at)
    ReplicationEvent.objects.bulk_create(events)
    for incident in incidents.values():
        incident.save(update_fields=["event_count", "last_event_at"])
    for dedupe_key, count in repeats.items():
        ReplicationEvent.objects.filter(dedupe_key=dedupe_key).update(
            report_count=F("report_count") + count, last_reported_at=now
        )
    for pair, event_times, failure_times in moments.values():
        _touch_pair(pair, max(event_times), max(failure_times) if failure_times else None)
    SnsMessage.objects.bulk_update(messages, ["outcome", "processed_at"])


def _read(message: SnsMessage) -> MessageContents | None:
    try:
        return read_message(message.raw["Message"], message.message_id)
    except UnreadableMessage:  # the hook read it, so only a changed reader gets here: keep it, go on
        logger.warning("stored SNS message no longer readable", extra={"message_id": message.message_id})
        return None


def _event(fact, message, pair, incident, occurred_at, now) -> ReplicationEvent:
    return ReplicationEvent(
        pair=pair,
        sns_message=message,
        incident=incident,
        dedupe_key=fact.dedupe_key,
        source=fact.source,
        key=fact.key,
        version_id=fact.version_id,
        kind=fact.kind,
        reason=fact.reason,
        severity=fact.severity,
        detail=fact.detail,
        occurred_at=occurred_at,
        last_reported_at=now,
    )


def _record_summary(summary: VerificationSummary, sns_message: SnsMessage, pair: BucketPair) -> str:
    """Count the summary's verified versions once (a re-published summary_id is a repeat)."""
    try:
        with transaction.atomic():
            VerificationBatch.objects.create(
                pair=pair,
                sns_message=sns_message,
                summary_id=summary.summary_id,
                # SNS's Timestamp (checked for age by the verifier), not the summary's own clock.
                verified=summary.verified,
                reported_at=sns_message.sent_at,
            )
    except IntegrityError:
        return SnsMessage.Outcome.REPEATED
    return SnsMessage.Outcome.STORED


def _same_or_other_pair(lane: BucketPair, fact: ReplicationFact) -> BucketPair:
    """The lane's pair, or (an S3 message whose records name several pairs) the fact's own."""
    if (lane.primary_bucket, lane.replica_bucket) == (fact.primary_bucket, fact.replica_bucket):
        return lane
    return _pair_for(fact.primary_bucket, fact.replica_bucket)


def _pair_for(primary_bucket: str, replica_bucket: str) -> BucketPair:
    pair, _ = BucketPair.objects.get_or_create(primary_bucket=primary_bucket, replica_bucket=replica_bucket)
    return _linked_to_catalog(pair)


def _linked_to_catalog(pair: BucketPair) -> BucketPair:
    if pair.catalog_entry_id is None:
        entry = _catalog_entry_for(pair.primary_bucket, pair.replica_bucket)
        if entry is not None:
            pair.catalog_entry = entry
            pair.save(update_fields=["catalog_entry"])
    return pair


def _catalog_entry_for(primary_bucket: str, replica_bucket: str) -> CatalogEntry | None:
    """Our catalog entry for the primary bucket, else for the replica; None for foreign buckets."""
    entries = {
        entry.bucket_name: entry
        for entry in CatalogEntry.objects.filter(bucket_name__in=[primary_bucket, replica_bucket])
    }
    return entries.get(primary_bucket) or entries.get(replica_bucket)


def _add_to_incident(
    incidents: dict[tuple[int, str], Incident], pair: BucketPair, fact: ReplicationFact, occurred_at: datetime
) -> Incident:
    """The unresolved incident of the pair and reason, one event more (saved once per batch); opened
    (and audited) when there is none."""
    incident = incidents.get((pair.pk, fact.reason))
    if incident is None:
        incident = _open_or_find_incident(pair, fact, occurred_at)
        incidents[(pair.pk, fact.reason)] = incident
        if incident.event_count == 0:  # opened for this fact
            incident.event_count = 1
            return incident
    incident.event_count += 1
    incident.last_event_at = max(incident.last_event_at, occurred_at)
    return incident


def _open_or_find_incident(pair: BucketPair, fact: ReplicationFact, occurred_at: datetime) -> Incident:
    """The pair's unresolved incident for the reason, locked; else a new one (``event_count`` 0)."""
    incident = (
        Incident.objects.select_for_update()
        .filter(pair=pair, reason=fact.reason, state__in=UNRESOLVED_STATES)
        .first()
    )
    if incident is not None:
        return incident
    try:
        with transaction.atomic():
            incident = Incident.objects.create(
                pair=pair,
                reason=fact.reason,
                kind=fact.kind,
                severity=fact.severity,
                last_event_at=occurred_at,
                event_count=0,
            )
    except IntegrityError:  # a concurrent worker (another lane naming this pair) opened it first
        return _open_or_find_incident(pair, fact, occurred_at)
    _audit_opened(incident, fact)
    return incident


def _audit_opened(incident: Incident, fact: ReplicationFact) -> None:
    entry = incident.pair.catalog_entry
    audit.record(
        "replication.incident_opened",
        actor=SNS_ACTOR,
        bucket_name=incident.pair.primary_bucket,
        environment=entry.environment if entry else "",
        detail={
            "incident": incident.pk,
            "replica_bucket": incident.pair.replica_bucket,
            "kind": fact.kind,
            "reason": fact.reason,
            "severity": fact.severity,
            "key": fact.key,
            "version_id": fact.version_id,
        },
    )


def _touch_pair(pair: BucketPair, last_event: datetime, last_failure: datetime | None) -> None:
    """Move the pair's last-event (and last-failure) time forward, never back.

    Compared in the UPDATE itself: an earlier event processed later cannot overwrite a later time.
    """

    def later_of(field: str, moment: datetime):
        value = Value(moment, output_field=DateTimeField())
        return Greatest(Coalesce(field, value), value)

    changes = {"last_event_at": later_of("last_event_at", last_event)}
    if last_failure is not None:
        changes["last_failure_at"] = later_of("last_failure_at", last_failure)
    BucketPair.objects.filter(pk=pair.pk).update(**changes)
