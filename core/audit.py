"""The audit trail: an append-only chain where each entry carries an HMAC over its content and the
previous entry's hash.

Every state change, vote, guardrail evaluation, import and Terraform step is written
through :func:`record`. Appends are serialised on a locked row so that two concurrent
writers cannot both link to the same predecessor; that row stays locked until the
transaction commits, so every writer in the portal queues on it. A transaction opened with
:func:`atomic` therefore collects its entries and appends them all at its end, taking the
lock only for that one insert and the commit. Entry hashes are HMAC-SHA256 under the
chain key (``core.audit_keys``), whose id is stored on the entry; entries written before the
chain was keyed have no key id and a plain SHA-256 (*legacy* entries, verified with the old
function, and only as the start of the chain). ``core.audit_verify`` checks the chain.
"""

import hashlib
import json
import threading
from contextlib import contextmanager
from datetime import UTC, datetime

from django.db import transaction
from django.utils import timezone

from core.audit_keys import ChainKey, signing_key
from core.models import AuditChainLock, AuditEntry

GENESIS_HASH = "0" * 64
LEGACY_KEY_ID = ""  # entries written before the chain was keyed


def _normalise(detail: dict) -> dict:
    """What the database will give back: JSON types only (dates and UUIDs as strings)."""
    return json.loads(json.dumps(detail or {}, default=str))


def _timestamp_text(timestamp: datetime) -> str:
    return timestamp.astimezone(UTC).isoformat(timespec="microseconds")


def canonical_entry(
    previous_hash: str, *, key_id: str, timestamp, actor, action, request_id, bucket_name, environment, detail
) -> bytes:
    """The bytes an entry's hash covers. A keyed entry's include its key id; a legacy entry's are
    exactly what the unkeyed chain hashed."""
    content = {
        "previous_hash": previous_hash,
        "timestamp": _timestamp_text(timestamp),
        "actor": actor,
        "action": action,
        "request_id": request_id,
        "bucket_name": bucket_name,
        "environment": environment,
        "detail": detail,
    }
    if key_id != LEGACY_KEY_ID:
        content["key_id"] = key_id
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def compute_entry_hash(
    previous_hash: str,
    *,
    key: ChainKey | None,
    timestamp,
    actor,
    action,
    request_id,
    bucket_name,
    environment,
    detail,
) -> str:
    """HMAC-SHA256 under ``key``; with ``key=None``, the legacy unkeyed SHA-256."""
    payload = canonical_entry(
        previous_hash,
        key_id=key.key_id if key else LEGACY_KEY_ID,
        timestamp=timestamp,
        actor=actor,
        action=action,
        request_id=request_id,
        bucket_name=bucket_name,
        environment=environment,
        detail=detail,
    )
    return key.mac(payload) if key else hashlib.sha256(payload).hexdigest()


def entry_content(entry: AuditEntry) -> dict:
    """An entry's hashed columns (besides ``previous_hash`` and ``key_id``) as keyword arguments."""
    return {
        "timestamp": entry.timestamp,
        "actor": entry.actor,
        "action": entry.action,
        "request_id": entry.request_id,
        "bucket_name": entry.bucket_name,
        "environment": entry.environment,
        "detail": entry.detail,
    }


def actor_name(user) -> str:
    """How a user appears in the audit trail; ``system`` for automated steps."""
    if user is None:
        return "system"
    if isinstance(user, str):
        return user
    return user.get_username() or "anonymous"


# ``entries``: those of this thread's open audit.atomic() block (Django's connections are per thread too).
_collecting = threading.local()


def record(
    action: str,
    *,
    actor,
    request=None,
    detail: dict | None = None,
    bucket_name: str = "",
    environment: str = "",
) -> AuditEntry:
    """Append one entry. ``request`` (anything with ``request_id``, ``bucket_name`` and ``environment``,
    e.g. a BucketRequest) fills the request columns.

    Inside :func:`atomic` the entry is appended when that block ends (its id, timestamp and hashes are
    set then); elsewhere at once, in the caller's transaction.
    """
    entry = AuditEntry(
        actor=actor_name(actor),
        action=action,
        request_id=request.request_id if request is not None else "",
        bucket_name=bucket_name or (request.bucket_name if request is not None else ""),
        environment=environment or (request.environment if request is not None else ""),
        detail=_normalise(detail),
    )
    collected = getattr(_collecting, "entries", None)
    if collected is not None:
        collected.append(entry)
        entry._savepoint_witness = _SavepointWitness()
        transaction.on_commit(entry._savepoint_witness)
    else:
        with transaction.atomic():
            _append([entry])
    return entry


class _SavepointWitness:
    """Registered with ``transaction.on_commit`` for one collected entry. Django forgets the callbacks of a
    savepoint that rolls back, so an entry whose witness is gone recorded something that did not happen,
    whatever caught the exception in between; it runs (doing nothing) after the commit."""

    def __call__(self) -> None:
        pass


def _still_happening(entries: list[AuditEntry]) -> list[AuditEntry]:
    """The entries whose savepoints (if any) were not rolled back."""
    alive = {id(callback) for _, callback, _ in transaction.get_connection().run_on_commit}
    return [entry for entry in entries if id(entry._savepoint_witness) in alive]


@contextmanager
def atomic():
    """``transaction.atomic()`` whose audit entries are appended at its end, just before it commits.

    The chain's lock row is then held only for one read of the head, one insert and the commit, not
    for the whole transaction (docs/decisions/submission-throughput.md). A nested block (this or a plain
    ``transaction.atomic()``) is a savepoint: the entries recorded in one that rolls back are dropped, also
    when the caller catches the exception and goes on.
    """
    if getattr(_collecting, "entries", None) is not None:
        with transaction.atomic():
            yield
        return
    _collecting.entries = collected = []
    try:
        with transaction.atomic():
            yield
            _collecting.entries = None
            _append(_still_happening(collected))
    finally:
        _collecting.entries = None


def _append(entries: list[AuditEntry]) -> None:
    """Link ``entries`` to the chain's head, in order, and insert them (inside a transaction)."""
    if not entries:
        return
    key = signing_key()
    previous = _lock_chain_and_read_head() or GENESIS_HASH
    for entry in entries:
        entry.timestamp = timezone.now()  # under the lock: ids and timestamps keep one order
        entry.previous_hash = previous
        entry.key_id = key.key_id
        entry.entry_hash = previous = compute_entry_hash(previous, key=key, **entry_content(entry))
    AuditEntry.objects.bulk_create(entries)


CHAIN_LOCK_ROW = 1


def _lock_chain_and_read_head() -> str | None:
    """Lock the chain's row (created the first time), then read the head's hash (None: no entry yet).

    Two statements, in this order and in the caller's transaction: the head is read after the lock is
    held, so it is the head no other writer can move before this one commits. Plain SQL rather than the
    ORM's ``select_for_update().get_or_create()`` and ``order_by().values_list().first()`` (the same
    statements) because every audited change runs them and building them costs more CPU than they do.
    """
    connection = transaction.get_connection()
    quote = connection.ops.quote_name
    for_update = " FOR UPDATE" if connection.features.has_select_for_update else ""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {quote('id')} FROM {quote(AuditChainLock._meta.db_table)} WHERE {quote('id')} = %s"
            + for_update,
            [CHAIN_LOCK_ROW],
        )
        if cursor.fetchone() is None:
            AuditChainLock.objects.select_for_update().get_or_create(pk=CHAIN_LOCK_ROW)
        cursor.execute(
            f"SELECT {quote('entry_hash')} FROM {quote(AuditEntry._meta.db_table)} ORDER BY {quote('id')} DESC LIMIT 1"
        )
        row = cursor.fetchone()
    return row[0] if row else None
