"""Store what a verified SNS delivery says: once, linked to the catalog, with incidents and audit.

Called by the webhook after :mod:`replication.sns` verified the delivery. Everything for one
delivery happens in one transaction; the unique ``SnsMessage.message_id`` makes a redelivery a
no-op, the unique ``ReplicationEvent.dedupe_key`` makes a re-published failure (same
``failure_id``, new MessageId) only count as one more report of the known event.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import DateTimeField, F, Value
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from core.audit import record
from replication.events import (
    FAILURE,
    INFO,
    ReplicationFact,
    UnreadableMessage,
    VerificationSummary,
    facts_from_message,
    verification_summary,
)
from replication.models import (
    UNRESOLVED_STATES,
    BucketPair,
    Incident,
    RefusalCount,
    ReplicationEvent,
    SnsMessage,
    VerificationBatch,
)
from replication.sns import NOTIFICATION, SUBSCRIPTION_CONFIRMATION, VerifiedMessage
from requests_app.models import CatalogEntry

logger = logging.getLogger(__name__)

SNS_ACTOR = "sns"


@dataclass(frozen=True)
class IngestResult:
    outcome: str  # an SnsMessage.Outcome value, or "duplicate"
    new_events: int = 0
    detail: str = ""

    @property
    def accepted(self) -> bool:
        return self.outcome != SnsMessage.Outcome.UNREADABLE


def ingest(message: VerifiedMessage, *, confirm_subscription) -> IngestResult:
    """Store one verified delivery. ``confirm_subscription(topic_arn, token)`` confirms with AWS."""
    if SnsMessage.objects.filter(message_id=message.message_id).exists():
        return IngestResult("duplicate")
    if message.type == NOTIFICATION:
        return _ingest_notification(message)
    if message.type == SUBSCRIPTION_CONFIRMATION:
        confirm_subscription(message.topic_arn, message.token)
        return _store_confirmation(
            message, SnsMessage.Outcome.CONFIRMED, "replication.sns_subscription_confirmed"
        )
    logger.warning(
        "SNS unsubscribe confirmation recorded, not followed", extra={"topic_arn": message.topic_arn}
    )
    return _store_confirmation(
        message, SnsMessage.Outcome.UNSUBSCRIBED, "replication.sns_unsubscribe_recorded"
    )


def _ingest_notification(message: VerifiedMessage) -> IngestResult:
    try:
        summary = verification_summary(message.message)
        facts = [] if summary else facts_from_message(message.message, message.message_id)
    except UnreadableMessage as exc:
        stored = _store_message(message, SnsMessage.Outcome.UNREADABLE)
        return IngestResult(SnsMessage.Outcome.UNREADABLE if stored else "duplicate", detail=str(exc))
    with transaction.atomic():
        sns_message = _store_message(message, SnsMessage.Outcome.STORED)
        if sns_message is None:
            return IngestResult("duplicate")
        if summary is not None:
            return IngestResult(_record_summary(summary, sns_message))
        new_events = sum(_record_fact(fact, sns_message) for fact in facts)
        if facts and not new_events:
            sns_message.outcome = SnsMessage.Outcome.REPEATED
            sns_message.save(update_fields=["outcome"])
    return IngestResult(sns_message.outcome, new_events=new_events)


def _store_confirmation(message: VerifiedMessage, outcome: str, action: str) -> IngestResult:
    with transaction.atomic():
        if _store_message(message, outcome) is None:
            return IngestResult("duplicate")
        record(
            action, actor=SNS_ACTOR, detail={"topic_arn": message.topic_arn, "message_id": message.message_id}
        )
    return IngestResult(outcome)


def _store_message(message: VerifiedMessage, outcome: str) -> SnsMessage | None:
    """The new SnsMessage, or None when a concurrent delivery of the same MessageId won."""
    try:
        with transaction.atomic():
            return SnsMessage.objects.create(
                message_id=message.message_id,
                type=message.type,
                topic_arn=message.topic_arn,
                sent_at=message.timestamp,
                subject=message.subject[:200],
                outcome=outcome,
                raw=message.fields,
            )
    except IntegrityError:
        return None


def _record_fact(fact: ReplicationFact, sns_message: SnsMessage) -> bool:
    """Store the event; False when it is a repeated report of a known one."""
    now = timezone.now()
    pair = _pair_for(fact)
    occurred_at = fact.occurred_at or sns_message.sent_at
    try:
        with transaction.atomic():
            event = ReplicationEvent.objects.create(
                pair=pair,
                sns_message=sns_message,
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
    except IntegrityError:
        ReplicationEvent.objects.filter(dedupe_key=fact.dedupe_key).update(
            report_count=F("report_count") + 1, last_reported_at=now
        )
        return False
    if fact.severity != INFO:
        event.incident = _open_or_add_to_incident(pair, fact, occurred_at)
        event.save(update_fields=["incident"])
    _touch_pair(pair, fact, occurred_at)
    return True


def _record_summary(summary: VerificationSummary, sns_message: SnsMessage) -> str:
    """Count the summary's verified versions once (a re-published summary_id is a repeat)."""
    try:
        with transaction.atomic():
            VerificationBatch.objects.create(
                pair=_pair_for(summary),
                sns_message=sns_message,
                summary_id=summary.summary_id,
                # SNS's Timestamp (checked for age by the verifier), not the summary's own clock.
                verified=summary.verified,
                reported_at=sns_message.sent_at,
            )
    except IntegrityError:
        sns_message.outcome = SnsMessage.Outcome.REPEATED
        sns_message.save(update_fields=["outcome"])
    return sns_message.outcome


def _pair_for(fact: ReplicationFact | VerificationSummary) -> BucketPair:
    pair, _ = BucketPair.objects.get_or_create(
        primary_bucket=fact.primary_bucket, replica_bucket=fact.replica_bucket
    )
    if pair.catalog_entry_id is None:
        entry = _catalog_entry_for(fact.primary_bucket, fact.replica_bucket)
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


def _open_or_add_to_incident(pair: BucketPair, fact: ReplicationFact, occurred_at: datetime) -> Incident:
    incident = (
        Incident.objects.select_for_update()
        .filter(pair=pair, reason=fact.reason, state__in=UNRESOLVED_STATES)
        .first()
    )
    if incident is None:
        try:
            with transaction.atomic():
                incident = Incident.objects.create(
                    pair=pair,
                    reason=fact.reason,
                    kind=fact.kind,
                    severity=fact.severity,
                    last_event_at=occurred_at,
                )
        except IntegrityError:  # a concurrent delivery opened it first
            return _open_or_add_to_incident(pair, fact, occurred_at)
        _audit_opened(incident, fact)
        return incident
    incident.event_count += 1
    incident.last_event_at = max(incident.last_event_at, occurred_at)
    incident.save(update_fields=["event_count", "last_event_at"])
    return incident


def _audit_opened(incident: Incident, fact: ReplicationFact) -> None:
    entry = incident.pair.catalog_entry
    record(
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


def _touch_pair(pair: BucketPair, fact: ReplicationFact, occurred_at: datetime) -> None:
    """Move the pair's last-event (and last-failure) time forward, never back.

    Compared in the UPDATE itself: a concurrent delivery of an earlier event cannot overwrite
    a later time it did not see.
    """

    def later_of(field: str):
        moment = Value(occurred_at, output_field=DateTimeField())
        return Greatest(Coalesce(field, moment), moment)

    changes = {"last_event_at": later_of("last_event_at")}
    if fact.severity == FAILURE:
        changes["last_failure_at"] = later_of("last_failure_at")
    BucketPair.objects.filter(pk=pair.pk).update(**changes)


def count_refusal(reason: str) -> None:
    """One more refused delivery for ``reason`` today (shown in the admin and the health API)."""
    today = timezone.now().date()
    if RefusalCount.objects.filter(reason=reason, day=today).update(count=F("count") + 1):
        return
    try:
        with transaction.atomic():
            RefusalCount.objects.create(reason=reason, day=today, count=1)
    except IntegrityError:
        RefusalCount.objects.filter(reason=reason, day=today).update(count=F("count") + 1)
