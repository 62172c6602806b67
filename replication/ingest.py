"""Store what a verified SNS delivery is, once, and answer: the hook's half of ingestion.

Called by the webhook after :mod:`replication.sns` verified the delivery. A Notification is read
(so that a signed message we do not understand is still answered 400) and stored as ``pending``
with the pair it is about; a worker builds its events and incidents (:mod:`replication.processing`),
handed over after the commit. The unique ``SnsMessage.message_id`` makes a redelivery a no-op.
Subscription handshakes stay in the request: confirming needs AWS's answer, and a failed
confirmation must be a 502 so that SNS tries again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from core.audit import record
from replication.events import UnreadableMessage, read_message
from replication.models import RefusalCount, SnsMessage
from replication.processing import SNS_ACTOR, request_drain
from replication.sns import NOTIFICATION, SUBSCRIPTION_CONFIRMATION, VerifiedMessage

logger = logging.getLogger(__name__)

ACCEPTED = "accepted"
DUPLICATE = "duplicate"


@dataclass(frozen=True)
class IngestResult:
    outcome: str  # ACCEPTED, DUPLICATE, or an SnsMessage.Outcome value the hook decided alone
    detail: str = ""

    @property
    def accepted(self) -> bool:
        return self.outcome != SnsMessage.Outcome.UNREADABLE


def ingest(message: VerifiedMessage, *, confirm_subscription) -> IngestResult:
    """Store one verified delivery. ``confirm_subscription(topic_arn, token)`` confirms with AWS."""
    if message.type == NOTIFICATION:
        return _accept_notification(message)
    if SnsMessage.objects.filter(message_id=message.message_id).exists():
        return IngestResult(DUPLICATE)
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


def _accept_notification(message: VerifiedMessage) -> IngestResult:
    try:
        contents = read_message(message.message, message.message_id)
    except UnreadableMessage as exc:
        stored = _store_message(message, SnsMessage.Outcome.UNREADABLE)
        return IngestResult(SnsMessage.Outcome.UNREADABLE if stored else DUPLICATE, detail=str(exc))
    if contents.summary is None and not contents.facts:  # an S3 test event: nothing to build
        stored = _store_message(message, SnsMessage.Outcome.STORED)
        return IngestResult(SnsMessage.Outcome.STORED if stored else DUPLICATE)
    if _store_message(message, SnsMessage.Outcome.PENDING, pair=contents.pair) is None:
        return IngestResult(DUPLICATE)
    return IngestResult(ACCEPTED)


def _store_confirmation(message: VerifiedMessage, outcome: str, action: str) -> IngestResult:
    with transaction.atomic():
        if _store_message(message, outcome) is None:
            return IngestResult(DUPLICATE)
        record(
            action, actor=SNS_ACTOR, detail={"topic_arn": message.topic_arn, "message_id": message.message_id}
        )
    return IngestResult(outcome)


def _store_message(
    message: VerifiedMessage, outcome: str, pair: tuple[str, str] = ("", "")
) -> SnsMessage | None:
    """The new SnsMessage, or None when the MessageId is already stored (a redelivery). A pending one
    asks for a drain once it is committed."""
    pending = outcome == SnsMessage.Outcome.PENDING
    try:
        with transaction.atomic():
            stored = SnsMessage.objects.create(
                message_id=message.message_id,
                type=message.type,
                topic_arn=message.topic_arn,
                sent_at=message.timestamp,
                subject=message.subject[:200],
                outcome=outcome,
                raw=message.fields,
                primary_bucket=pair[0],
                replica_bucket=pair[1],
                processed_at=None if pending else timezone.now(),
            )
            if pending:
                transaction.on_commit(request_drain)
    except IntegrityError:
        return None
    return stored


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
