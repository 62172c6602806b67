"""The keyed chain: HMAC under the chain key with a key id on each entry, legacy entries, rotation, and
verification naming each kind of tampering (here without checkpoints; with them: test_audit_checkpoints)."""

import hashlib

import pytest
from django.db import IntegrityError, transaction

from core import audit
from core.audit_verify import verify_chain
from core.models import AuditEntry
from tests.core.audit_tampering import delete_entries, edit_actor, recompute_without_key, sql

pytestmark = pytest.mark.django_db

OTHER_KEY = "another-key-that-is-at-least-32-characters"


def write_entries(count: int = 6) -> list[AuditEntry]:
    return [
        audit.record("test.step", actor=f"user{n}", detail={"n": n}, environment="dev") for n in range(count)
    ]


def kinds(report) -> list[str]:
    return [finding.kind for finding in report.findings]


def test_an_entry_hash_is_the_hmac_under_the_configured_key_and_names_its_key_id(settings):
    entry = write_entries(1)[0]
    assert entry.key_id == settings.AUDIT_CHAIN_KEY_ID == "test"
    plain = hashlib.sha256(
        audit.canonical_entry(entry.previous_hash, key_id="test", **audit.entry_content(entry))
    ).hexdigest()
    assert entry.entry_hash != plain
    report = verify_chain([])
    assert report.ok and report.entries == 1 and report.legacy_entries == 0


def test_the_same_trail_does_not_verify_under_another_key(settings):
    write_entries(3)
    settings.AUDIT_CHAIN_KEY = OTHER_KEY
    report = verify_chain([])
    assert kinds(report) == ["recomputed"]  # all three fail: to this key, the chain looks rewritten


def test_an_edited_entry_is_named_edited():
    entries = write_entries()
    edit_actor(entries[2].id, "mallory")
    report = verify_chain([])
    assert kinds(report) == ["edited"] and report.findings[0].entry_id == entries[2].id


def test_an_edit_with_the_chain_recomputed_without_the_key_is_named_recomputed():
    entries = write_entries()
    edit_actor(entries[2].id, "mallory")
    recompute_without_key()
    report = verify_chain([])
    assert kinds(report) == ["recomputed"]
    assert report.findings[0].entry_id == entries[0].id and "6 entries" in report.findings[0].message


def test_a_whole_chain_disguised_as_legacy_entries_passes_the_chain_alone():
    """The limit of the chain without checkpoints: rewriting *every* entry as a legacy (unkeyed) one
    verifies with the old function. Checkpoints catch it (test_audit_checkpoints), which is why
    verify_audit and the API always check against them."""
    write_entries(3)
    recompute_without_key(drop_key_id=True)
    report = verify_chain([])
    assert report.ok and report.legacy_entries == 3


def test_an_unkeyed_entry_after_keyed_ones_is_named():
    entries = write_entries(3)
    last = entries[-1]
    legacy_hash = hashlib.sha256(
        audit.canonical_entry(last.previous_hash, key_id="", **audit.entry_content(last))
    ).hexdigest()
    sql(
        f"UPDATE {AuditEntry._meta.db_table} SET key_id = '', entry_hash = %s WHERE id = %s",
        [legacy_hash, last.id],
    )
    assert kinds(verify_chain([])) == ["unkeyed"]


def test_a_deleted_middle_entry_is_named_deleted():
    entries = write_entries()
    delete_entries(entries[3].id)
    report = verify_chain([])
    assert kinds(report) == ["deleted"] and report.findings[0].entry_id == entries[4].id


def test_legacy_entries_still_verify_and_are_counted_and_keyed_entries_continue_their_chain():
    """Entries written before the upgrade (unkeyed SHA-256, no key id) verify with the old function."""
    previous = audit.GENESIS_HASH
    for n in range(3):
        entry = AuditEntry(
            timestamp=audit.timezone.now(),
            actor="old",
            action="legacy.step",
            detail={"n": n},
            previous_hash=previous,
            key_id="",
        )
        entry.entry_hash = audit.compute_entry_hash(previous, key=None, **audit.entry_content(entry))
        entry.save()
        previous = entry.entry_hash
    keyed = audit.record("after.upgrade", actor="system")
    assert keyed.previous_hash == previous and keyed.key_id == "test"
    report = verify_chain([])
    assert report.ok and report.entries == 4 and report.legacy_entries == 3
    assert "3 of them legacy" in report.summary()
    edit_actor(AuditEntry.objects.order_by("id").first().id, "mallory")
    assert kinds(verify_chain([])) == ["edited"]


def test_after_a_key_rotation_entries_of_the_retired_key_still_verify(settings):
    old = write_entries(2)
    settings.AUDIT_CHAIN_RETIRED_KEYS = {"test": settings.AUDIT_CHAIN_KEY}
    settings.AUDIT_CHAIN_KEY, settings.AUDIT_CHAIN_KEY_ID = OTHER_KEY, "k2"
    new = audit.record("after.rotation", actor="system")
    assert new.key_id == "k2" and new.previous_hash == old[-1].entry_hash
    assert verify_chain([]).ok
    settings.AUDIT_CHAIN_RETIRED_KEYS = {}
    report = verify_chain([])
    assert kinds(report) == ["unknown_key", "unknown_key"]
    assert "'test'" in report.findings[0].message


def test_entries_of_an_audit_atomic_block_are_appended_in_order_at_its_end():
    audit.record("test.before", actor="system")
    with audit.atomic():
        first = audit.record("test.first", actor="alice", detail={"n": 1})
        audit.record("test.second", actor="system", detail={"n": 2})
        assert first.pk is None and AuditEntry.objects.count() == 1  # not yet appended
    after = audit.record("test.after", actor="system")
    entries = list(AuditEntry.objects.order_by("id"))
    assert [e.action for e in entries] == ["test.before", "test.first", "test.second", "test.after"]
    assert first.pk == entries[1].pk and first.entry_hash == entries[2].previous_hash
    assert [e.timestamp for e in entries] == sorted(e.timestamp for e in entries) and after.pk
    report = verify_chain([])
    assert report.ok and report.entries == 4, report.findings


def test_an_audit_atomic_block_that_raises_appends_none_of_its_entries():
    with audit.atomic():
        audit.record("test.kept", actor="system")
        with pytest.raises(RuntimeError), audit.atomic():
            audit.record("test.rolled_back", actor="system")
            raise RuntimeError("inner block fails; the outer one goes on")
    with pytest.raises(RuntimeError), audit.atomic():
        audit.record("test.rolled_back", actor="system")
        raise RuntimeError("outer block fails")
    assert list(AuditEntry.objects.values_list("action", flat=True)) == ["test.kept"]
    assert verify_chain([]).ok


def test_entries_of_a_savepoint_that_rolled_back_are_dropped_even_when_its_error_was_caught():
    """The audit trail never says what did not happen: a plain savepoint inside the block fails, its
    caller catches the error and goes on; what the savepoint recorded is not appended."""
    with audit.atomic():
        audit.record("test.kept", actor="system")
        try:
            with transaction.atomic():
                audit.record("test.rolled_back", actor="system")
                with transaction.atomic():
                    audit.record("test.rolled_back_inner", actor="system")
                raise IntegrityError("the claim lost a race")
        except IntegrityError:
            pass
        with transaction.atomic():
            audit.record("test.kept_after", actor="system")
    actions = list(AuditEntry.objects.order_by("id").values_list("action", flat=True))
    assert actions == ["test.kept", "test.kept_after"]
    assert verify_chain([]).ok
