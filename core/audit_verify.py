"""Verifying the audit trail: the keyed chain in the database, against every checkpoint in the bucket.

What each finding means (docs/audit.md):
- ``edited``: one entry's content no longer matches its keyed hash.
- ``recomputed``: a run of entries whose hashes link but none is the key's: the chain was
  recomputed without the key (after an edit or a deletion).
- ``deleted``: an entry does not link to the one before it: an entry between them is gone.
- ``unkeyed``: an entry without a key id after keyed ones (legacy entries only start a chain).
- ``unknown_key``: an entry signed with a key id that is not configured.
- ``truncated``: a checkpoint covers entries the trail no longer has at its end.
- ``checkpoint_mismatch``: at a checkpoint's position the trail holds another entry or hash.
- ``checkpoints``: the bucket's checkpoints themselves (unreadable, forged, overwrite or deletion
  attempts, gaps), or the bucket cannot be read at all.
"""

import hashlib
from dataclasses import asdict, dataclass, field

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from core.audit import GENESIS_HASH, LEGACY_KEY_ID, canonical_entry, entry_content
from core.audit_checkpoints import CheckpointsUnavailable, read_checkpoints, write_status
from core.audit_keys import verification_keys
from core.models import AuditCheckpoint, AuditEntry

MAX_LISTED = 50  # findings listed by name; the rest are counted
PAGE_CACHE_KEY = "audit-trail-status"


@dataclass(frozen=True)
class Finding:
    kind: str
    message: str
    entry_id: int | None = None
    checkpoint: int | None = None


@dataclass
class Verification:
    entries: int = 0
    legacy_entries: int = 0
    checkpoints: int = 0
    last_checkpoint: dict | None = None
    findings: list[Finding] = field(default_factory=list)
    more_findings: int = 0

    @property
    def ok(self) -> bool:
        return not self.findings

    def add(self, finding: Finding) -> None:
        if len(self.findings) < MAX_LISTED:
            self.findings.append(finding)
        else:
            self.more_findings += 1

    def as_dict(self) -> dict:
        return {
            "ok": self.ok,
            "entries": self.entries,
            "legacy_entries": self.legacy_entries,
            "checkpoints": self.checkpoints,
            "last_checkpoint": self.last_checkpoint,
            "findings": [asdict(finding) for finding in self.findings],
            "more_findings": self.more_findings,
        }

    def summary(self) -> str:
        legacy = (
            f", {self.legacy_entries} of them legacy (unkeyed, verified with the old function)"
            if self.legacy_entries
            else ""
        )
        if self.ok:
            return (
                f"OK: {self.entries} audit entries{legacy}; chain intact with the key and consistent with "
                f"{self.checkpoints} checkpoint{'s' if self.checkpoints != 1 else ''}."
            )
        return (
            f"BROKEN: {len(self.findings) + self.more_findings} finding(s) in {self.entries} entries{legacy}."
        )


def _hash_holds(entry, key) -> bool:
    content = entry_content(entry)
    payload = canonical_entry(entry.previous_hash, key_id=entry.key_id, **content)
    if key is None:
        return hashlib.sha256(payload).hexdigest() == entry.entry_hash
    return key.mac(payload) == entry.entry_hash


def _name_failed_runs(report: Verification, runs: list[list[int]]) -> None:
    for run in runs:
        if len(run) == 1:
            report.add(
                Finding(
                    "edited",
                    f"entry #{run[0]} was edited: its content does not match its hash",
                    entry_id=run[0],
                )
            )
        else:
            report.add(
                Finding(
                    "recomputed",
                    f"entries #{run[0]} to #{run[-1]} ({len(run)} entries) were "
                    "rewritten: their hashes link, but none is the key's (the chain was recomputed "
                    "without the key)",
                    entry_id=run[0],
                )
            )


def _compare_with_checkpoint(report: Verification, checkpoint: dict, position: int, entry) -> None:
    if entry.id != checkpoint["head_entry_id"] or entry.entry_hash != checkpoint["head_hash"]:
        report.add(
            Finding(
                "checkpoint_mismatch",
                f"checkpoint #{checkpoint['sequence']} ({checkpoint['created_at']}) recorded entry "
                f"#{checkpoint['head_entry_id']} as entry number {position}; the trail holds #{entry.id} there, "
                f"{'with another hash' if entry.id == checkpoint['head_entry_id'] else 'another entry'}: entries up to "
                "it were edited, deleted or rewritten",
                entry_id=entry.id,
                checkpoint=checkpoint["sequence"],
            )
        )


def _beyond_the_end(report: Verification, checkpoint: dict, last_id: int) -> None:
    if checkpoint["head_entry_id"] > last_id:
        report.add(
            Finding(
                "truncated",
                f"the trail was truncated: checkpoint #{checkpoint['sequence']} ({checkpoint['created_at']}) covers "
                f"{checkpoint['entry_count']} entries up to #{checkpoint['head_entry_id']}, the trail ends at "
                f"#{last_id} with {report.entries}: entries were deleted from its end",
                checkpoint=checkpoint["sequence"],
            )
        )
    else:
        report.add(
            Finding(
                "checkpoint_mismatch",
                f"checkpoint #{checkpoint['sequence']} ({checkpoint['created_at']}) covers {checkpoint['entry_count']} "
                f"entries up to #{checkpoint['head_entry_id']}; the trail has only {report.entries}: entries before "
                "it were deleted",
                checkpoint=checkpoint["sequence"],
            )
        )


def verify_chain(
    checkpoints: list[dict], report: Verification | None = None, batch_size: int = 2000
) -> Verification:
    """Walk the chain in order with the keys, comparing it with ``checkpoints`` (documents) on the way."""
    report = report or Verification()
    keys = verification_keys()
    at_position: dict[int, list[dict]] = {}
    for checkpoint in checkpoints:
        if checkpoint["entry_count"]:
            at_position.setdefault(checkpoint["entry_count"], []).append(checkpoint)
    expected_previous, previous_id, seen_keyed = GENESIS_HASH, None, False
    runs: list[list[int]] = []
    failing = False
    for position, entry in enumerate(
        AuditEntry.objects.order_by("id").iterator(chunk_size=batch_size), start=1
    ):
        report.entries = position
        if entry.previous_hash != expected_previous:
            before = f"#{previous_id}" if previous_id else "the start of the trail"
            report.add(
                Finding(
                    "deleted",
                    f"entry #{entry.id} does not link to the entry before it ({before}): "
                    "an entry between them was deleted (or the order changed)",
                    entry_id=entry.id,
                )
            )
        key = None
        if entry.key_id == LEGACY_KEY_ID:
            report.legacy_entries += 1
            if seen_keyed:
                report.add(
                    Finding(
                        "unkeyed",
                        f"entry #{entry.id} has no key id but follows keyed entries: it was "
                        "written or recomputed without the key",
                        entry_id=entry.id,
                    )
                )
        else:
            seen_keyed = True
            key = keys.get(entry.key_id)
            if key is None:
                report.add(
                    Finding(
                        "unknown_key",
                        f"entry #{entry.id} names key id {entry.key_id!r}, which is not "
                        "configured (AUDIT_CHAIN_RETIRED_KEYS?)",
                        entry_id=entry.id,
                    )
                )
        # An entry under an unknown key is named above; its hash cannot be checked.
        holds = (entry.key_id != LEGACY_KEY_ID and key is None) or _hash_holds(entry, key)
        if not holds:
            if failing:
                runs[-1].append(entry.id)
            else:
                runs.append([entry.id])
        failing = not holds
        for checkpoint in at_position.pop(position, []):
            _compare_with_checkpoint(report, checkpoint, position, entry)
        expected_previous, previous_id = entry.entry_hash, entry.id
    _name_failed_runs(report, runs)
    for position in sorted(at_position):
        for checkpoint in at_position[position]:
            _beyond_the_end(report, checkpoint, previous_id or 0)
    return report


def _written_but_absent(stored) -> str | None:
    """The portal's own record says it wrote checkpoints the bucket does not hold (another bucket
    configured, or objects gone): worth naming, though the record itself is only the database's word."""
    written = AuditCheckpoint.objects.filter(written_at__isnull=False).order_by("-sequence").first()
    newest = stored[-1].sequence if stored else 0
    if written is not None and written.sequence > newest:
        return (
            f"the portal wrote checkpoints up to #{written.sequence}, the bucket holds them only up to "
            f"#{newest}: is AUDIT_CHECKPOINT_BUCKET the bucket they were written to?"
        )
    return None


def verify_trail(client=None) -> Verification:
    """The chain with the key, against every checkpoint the bucket holds."""
    report = Verification()
    try:
        stored, problems = read_checkpoints(client)
        absent = _written_but_absent(stored)
        problems += [absent] if absent else []
    except CheckpointsUnavailable as error:
        stored, problems = [], [f"{error}; the chain was checked with the key only"]
    for problem in problems:
        report.add(Finding("checkpoints", problem))
    report.checkpoints = len(stored)
    if stored:
        last = stored[-1].document
        report.last_checkpoint = {
            name: last[name] for name in ("sequence", "created_at", "entry_count", "head_entry_id", "key_id")
        }
    return verify_chain([checkpoint.document for checkpoint in stored], report)


def trail_status() -> dict:
    """What the audit page's status box and ``GET /api/v1/audit/verify/`` show: the verification, and
    whether checkpoints reach their bucket."""
    return {**_verification(), "checkpoint_writes": write_status()}


def recent_trail_status() -> dict:
    """:func:`trail_status` for the audit page: the verification at most AUDIT_PAGE_VERIFY_SECONDS old
    (shared cache; the walk reads every entry, about 1 s per 16,000, too much for every page view),
    the checkpoint writes always current."""
    verification = cache.get(PAGE_CACHE_KEY) if settings.AUDIT_PAGE_VERIFY_SECONDS > 0 else None
    if verification is None:
        verification = _verification()
        if settings.AUDIT_PAGE_VERIFY_SECONDS > 0:
            cache.set(PAGE_CACHE_KEY, verification, settings.AUDIT_PAGE_VERIFY_SECONDS)
    return {**verification, "checkpoint_writes": write_status()}


def _verification() -> dict:
    return {**verify_trail().as_dict(), "checked_at": timezone.now().isoformat(timespec="seconds")}
