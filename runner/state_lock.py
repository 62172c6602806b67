"""The Terraform state lock a run holds, and releasing one that a dead run left behind.

With the S3 backend Terraform locks a request's state with the object ``<key>.tflock`` next to it
(``use_lockfile``), or with an item in a DynamoDB table (``TERRAFORM_LOCK_TABLE``); either holds
Terraform's lock info, a JSON document whose ``ID`` names the lock. A worker killed during plan or
apply never deletes it, and every later run of the request would wait for it and fail. So:

- while a step runs, :func:`find_own_lock` spots the lock this process's Terraform took (same host,
  taken since the step began) and the run records its ID;
- when a run's worker is dead, :func:`release_lock` deletes the lock only if its ID is the one that
  run recorded, the way ``terraform force-unlock`` does: never a lock someone else holds now.

Local state (the embedded default) needs none of this: its lock is the operating system's and dies
with the process. No ORM here; the callers pass the backend and the clients.
"""

from __future__ import annotations

import json
import logging
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from botocore.exceptions import ClientError

from runner.workspace import BackendTarget

logger = logging.getLogger(__name__)
LOCK_SUFFIX = ".tflock"
# Terraform stamps the lock with the worker's own clock; allow for a coarse clock read.
CLOCK_SLACK = timedelta(seconds=5)


@dataclass(frozen=True)
class LockInfo:
    id: str
    operation: str
    who: str
    created: datetime | None
    path: str

    @classmethod
    def parse(cls, text: str) -> LockInfo | None:
        try:
            document = json.loads(text)
        except ValueError:
            return None
        if not isinstance(document, dict) or not document.get("ID"):
            return None
        return cls(
            id=str(document["ID"]),
            operation=str(document.get("Operation", "")),
            who=str(document.get("Who", "")),
            created=_parse_time(document.get("Created")),
            path=str(document.get("Path", "")),
        )


def _parse_time(value) -> datetime | None:
    """Terraform's RFC 3339 time with nanoseconds, e.g. ``2026-12-02T13:55:19.123456789Z``."""
    if not isinstance(value, str) or not value:
        return None
    text = value.replace("Z", "+00:00")
    if "." in text:  # Python parses at most microseconds
        head, tail = text.split(".", 1)
        zone_at = next((index for index, ch in enumerate(tail) if not ch.isdigit()), len(tail))
        digits, zone = tail[:zone_at], tail[zone_at:]
        text = f"{head}.{digits[:6]}{zone}"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def lock_path(target: BackendTarget) -> str:
    """Where the lock of ``target`` lives, for the run record ('' for local state)."""
    if not target.bucket:
        return ""
    if target.lock_table:
        return f"dynamodb://{target.lock_table}/{target.bucket}/{target.key}"
    return f"s3://{target.bucket}/{target.key}{LOCK_SUFFIX}"


def read_lock(target: BackendTarget, client) -> LockInfo | None:
    """The lock on ``target`` now (None when unlocked or on local state).

    ``client`` is an S3 client (lockfile) or a DynamoDB client (lock table).
    """
    if not target.bucket:
        return None
    if target.lock_table:
        item = client.get_item(
            TableName=target.lock_table,
            ConsistentRead=True,
            Key={"LockID": {"S": f"{target.bucket}/{target.key}"}},
        ).get("Item")
        return LockInfo.parse(item.get("Info", {}).get("S", "")) if item else None
    try:
        body = client.get_object(Bucket=target.bucket, Key=target.key + LOCK_SUFFIX)["Body"].read()
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "NotFound"):
            return None
        raise
    return LockInfo.parse(body.decode("utf-8", errors="replace"))


def find_own_lock(
    target: BackendTarget, client, *, since: datetime, host: str | None = None
) -> LockInfo | None:
    """The lock on ``target`` if a Terraform on this host took it since ``since`` (a step's start)."""
    lock = read_lock(target, client)
    host = host or socket.gethostname()
    if lock is None or not lock.who.endswith(f"@{host}") or lock.created is None:
        return None
    return lock if lock.created >= since - CLOCK_SLACK else None


def release_lock(target: BackendTarget, client, lock_id: str) -> bool:
    """Delete the lock on ``target`` if its ID is ``lock_id``; True when it was released."""
    if not lock_id:
        return False
    lock = read_lock(target, client)
    if lock is None or lock.id != lock_id:
        return False
    if target.lock_table:
        try:
            client.delete_item(
                TableName=target.lock_table,
                Key={"LockID": {"S": f"{target.bucket}/{target.key}"}},
                ConditionExpression="contains(Info, :id)",
                ExpressionAttributeValues={":id": {"S": lock_id}},
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return False
            raise
    else:
        client.delete_object(Bucket=target.bucket, Key=target.key + LOCK_SUFFIX)
    logger.info("released the state lock %s on %s", lock_id, lock_path(target))
    return True


class LockWatcher(threading.Thread):
    """While a plan or apply runs: look for the lock its Terraform took and hand it to ``on_found``.

    Polls every ``interval`` seconds until found or stopped; a failed look is logged and retried.
    ``on_exit`` runs in the thread at its end (e.g. closing its database connection).
    """

    def __init__(
        self,
        target: BackendTarget,
        make_client: Callable[[], object],
        on_found: Callable[[LockInfo], None],
        *,
        since: datetime,
        interval: float = 1.0,
        on_exit: Callable[[], None] = lambda: None,
    ):
        super().__init__(name=f"state-lock-{target.key}", daemon=True)
        self.target = target
        self.make_client = make_client
        self.on_found = on_found
        self.since = since
        self.interval = interval
        self.on_exit = on_exit
        self._stopped = threading.Event()

    def run(self) -> None:
        try:
            client = None
            while not self._stopped.wait(self.interval):
                try:
                    client = client or self.make_client()
                    lock = find_own_lock(self.target, client, since=self.since)
                except Exception:  # an unreachable backend must not end the run
                    logger.warning(
                        "looking for the state lock on %s failed", lock_path(self.target), exc_info=True
                    )
                    continue
                if lock is not None:
                    self.on_found(lock)
                    return
        finally:
            self.on_exit()

    def stop(self) -> None:
        self._stopped.set()
        self.join()
