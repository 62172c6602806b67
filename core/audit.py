"""The audit trail: an append-only chain where each entry carries the SHA-256 of the previous.

Every state change, vote, guardrail evaluation, import and Terraform step is written
through :func:`record`. Appends are serialised on a locked row so that two concurrent
writers cannot both link to the same predecessor. :func:`verify_chain` recomputes every
hash and reports the first link that does not hold (an entry edited or deleted in the
database behind the application's back).
"""

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timezone as dt_timezone

from django.db import transaction
from django.utils import timezone

from core.models import AuditChainLock, AuditEntry

GENESIS_HASH = "0" * 64


def _normalise(detail: dict) -> dict:
    """What the database will give back: JSON types only (dates and UUIDs as strings)."""
    return json.loads(json.dumps(detail or {}, default=str))


def _timestamp_text(timestamp: datetime) -> str:
    return timestamp.astimezone(dt_timezone.utc).isoformat(timespec="microseconds")


def compute_entry_hash(previous_hash: str, *, timestamp, actor, action, request_id,
                       bucket_name, environment, detail) -> str:
    canonical = json.dumps(
        {
            "previous_hash": previous_hash,
            "timestamp": _timestamp_text(timestamp),
            "actor": actor,
            "action": action,
            "request_id": request_id,
            "bucket_name": bucket_name,
            "environment": environment,
            "detail": detail,
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _entry_hash(entry: AuditEntry) -> str:
    return compute_entry_hash(
        entry.previous_hash,
        timestamp=entry.timestamp,
        actor=entry.actor,
        action=entry.action,
        request_id=entry.request_id,
        bucket_name=entry.bucket_name,
        environment=entry.environment,
        detail=entry.detail,
    )


def actor_name(user) -> str:
    """How a user appears in the audit trail; ``system`` for automated steps."""
    if user is None:
        return "system"
    if isinstance(user, str):
        return user
    return user.get_username() or "anonymous"


@transaction.atomic
def record(action: str, *, actor, request=None, detail: dict | None = None,
           bucket_name: str = "", environment: str = "") -> AuditEntry:
    """Append one entry. ``request`` (anything with ``request_id``, ``bucket_name`` and ``environment``,
    e.g. a BucketRequest) fills the request columns."""
    AuditChainLock.objects.select_for_update().get_or_create(pk=1)
    last = AuditEntry.objects.order_by("-id").values_list("entry_hash", flat=True).first()
    entry = AuditEntry(
        timestamp=timezone.now(),
        actor=actor_name(actor),
        action=action,
        request_id=request.request_id if request is not None else "",
        bucket_name=bucket_name or (request.bucket_name if request is not None else ""),
        environment=environment or (request.environment if request is not None else ""),
        detail=_normalise(detail),
        previous_hash=last or GENESIS_HASH,
    )
    entry.entry_hash = _entry_hash(entry)
    entry.save()
    return entry


@dataclass(frozen=True)
class BrokenLink:
    entry_id: int
    reason: str


def verify_chain(batch_size: int = 2000) -> tuple[int, BrokenLink | None]:
    """Walk the chain in order; return how many entries were checked and the first break."""
    expected_previous = GENESIS_HASH
    checked = 0
    for entry in AuditEntry.objects.order_by("id").iterator(chunk_size=batch_size):
        if entry.previous_hash != expected_previous:
            return checked, BrokenLink(entry.id, "previous_hash does not match the entry before it "
                                                 "(an entry was removed or reordered)")
        if _entry_hash(entry) != entry.entry_hash:
            return checked, BrokenLink(entry.id, "content does not match its hash (the entry was edited)")
        expected_previous = entry.entry_hash
        checked += 1
    return checked, None
