"""Concurrency on PostgreSQL: entries and checkpoints written at once stay one chain and one checkpoint chain."""

import json
import threading

import pytest

from core import audit, audit_checkpoints
from core.audit_verify import verify_chain
from core.models import AuditCheckpoint, AuditEntry
from tests.support.common import run_at_once

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_entries_and_checkpoints_written_at_once_link_and_every_checkpoint_is_a_consistent_cut():
    def work(index):
        if index % 2:
            return audit_checkpoints.create_checkpoint("schedule")
        return [audit.record("test.step", actor="system", detail={"i": index, "n": n}) for n in range(5)]

    results = run_at_once(work, 16)
    assert not [result for result in results if isinstance(result, Exception)], results
    checkpoints = list(AuditCheckpoint.objects.order_by("sequence"))
    assert [checkpoint.sequence for checkpoint in checkpoints] == list(range(1, 9))
    previous = audit.GENESIS_HASH
    for checkpoint in checkpoints:
        document = json.loads(checkpoint.document)
        assert document["previous_checkpoint_hash"] == previous
        previous = checkpoint.checkpoint_hash
    report = verify_chain([json.loads(checkpoint.document) for checkpoint in checkpoints])
    assert report.ok and report.entries == 40, report.findings


def test_an_audit_atomic_block_holds_the_chain_lock_only_at_its_end():
    """While one block has recorded but not ended, another writer appends without waiting for it."""
    recorded, appended = threading.Event(), threading.Event()

    def work(index):
        if index == 0:
            with audit.atomic():
                audit.record("test.collected", actor="system")
                recorded.set()
                assert appended.wait(timeout=10), "the other writer waited for this block"
            return "block"
        assert recorded.wait(timeout=10)
        entry = audit.record("test.direct", actor="system")
        appended.set()
        return entry

    results = run_at_once(work, 2)
    assert not [result for result in results if isinstance(result, Exception)], results
    assert list(AuditEntry.objects.order_by("id").values_list("action", flat=True)) == [
        "test.direct",
        "test.collected",
    ]
    assert verify_chain([]).ok
