"""Pure rules: evidence order, event parsing, REPLICA_MAP, dispositions (no AWS needed)."""

import json

import pytest

from lambdas.shared.events import MalformedEvent, parse_body
from lambdas.shared.evidence import ObjectFacts, compare_without_reading
from lambdas.shared.replica_map import ReplicaMapError, parse_replica_map
from lambdas.shared.verdicts import Disposition, Verdict, disposition_of

pytestmark = pytest.mark.db_independent

MD5_A, MD5_B = "0" * 32, "f" * 32


def facts(**overrides):
    values = {"size": 10, "etag": MD5_A}
    values.update(overrides)
    return ObjectFacts(**values)


def test_size_difference_is_a_mismatch_before_anything_else():
    outcome = compare_without_reading(facts(size=10), facts(size=11))
    assert (outcome.verdict, outcome.method) == (Verdict.MISMATCH, "size")


def test_full_object_checksums_decide_even_when_etags_agree():
    primary = facts(checksums={"SHA256": "aaa"}, checksum_type="FULL_OBJECT")
    replica = facts(checksums={"SHA256": "bbb"}, checksum_type="FULL_OBJECT")
    outcome = compare_without_reading(primary, replica)
    assert (outcome.verdict, outcome.method) == (Verdict.MISMATCH, "checksum-SHA256-FULL_OBJECT")


def test_composite_checksums_need_the_same_part_count():
    primary = facts(etag=MD5_A + "-2", checksums={"SHA256": "x-2"}, checksum_type="COMPOSITE")
    same_layout = facts(etag=MD5_A + "-2", checksums={"SHA256": "x-2"}, checksum_type="COMPOSITE")
    other_layout = facts(etag=MD5_B + "-3", checksums={"SHA256": "y-3"}, checksum_type="COMPOSITE")
    assert compare_without_reading(primary, same_layout).method == "checksum-SHA256-COMPOSITE"
    assert compare_without_reading(primary, other_layout) is None  # only the bytes can tell


def test_differing_composite_checksums_with_equal_part_count_fall_back_to_streaming():
    primary = facts(etag=MD5_A + "-2", checksums={"CRC32": "a-2"}, checksum_type="COMPOSITE")
    replica = facts(etag=MD5_B + "-2", checksums={"CRC32": "b-2"}, checksum_type="COMPOSITE")
    assert compare_without_reading(primary, replica) is None


def test_plain_md5_etags_decide_when_there_is_no_common_checksum():
    assert compare_without_reading(facts(), facts()).method == "etag-md5"
    assert compare_without_reading(facts(), facts(etag=MD5_B)).verdict is Verdict.MISMATCH


@pytest.mark.parametrize(
    "replica", [facts(etag=MD5_A + "-3"), facts(encryption="aws:kms"), facts(customer_key=True)]
)
def test_etags_that_are_not_md5s_prove_nothing(replica):
    assert compare_without_reading(facts(), replica) is None


def test_missing_checksum_type_is_inferred_from_the_value():
    head = {"ContentLength": 1, "ETag": f'"{MD5_A}"', "ChecksumCRC32": "abc="}
    assert ObjectFacts.from_head(head).checksum_type == "FULL_OBJECT"
    assert ObjectFacts.from_head({**head, "ChecksumCRC32": "abc=-4"}).checksum_type == "COMPOSITE"


def test_eventbridge_and_notification_keys_are_url_decoded():
    bridge = {
        "source": "aws.s3",
        "detail-type": "Object Created",
        "detail": {"bucket": {"name": "b"}, "object": {"key": "a+b%C3%A9", "version-id": "v1"}},
    }
    notification = {
        "Records": [
            {
                "eventName": "ObjectCreated:Put",
                "s3": {"bucket": {"name": "b"}, "object": {"key": "a+b%C3%A9", "versionId": "v1"}},
            }
        ]
    }
    for body in (bridge, notification):
        [event] = parse_body(json.dumps(body))
        assert (event.key, event.raw_key, event.version_id, event.is_creation) == (
            "a bé",
            "a+b%C3%A9",
            "v1",
            True,
        )
        assert event.key_candidates == ["a bé", "a+b%C3%A9"]


@pytest.mark.parametrize(
    "body",
    [
        "",
        "[]",
        "{}",
        '{"source": "aws.s3", "detail": {"bucket": {}}}',
        '{"Records": [{"s3": {"bucket": {"name": ""}, "object": {"key": "k"}}}]}',
    ],
)
def test_malformed_bodies_are_named(body):
    with pytest.raises(MalformedEvent):
        parse_body(body)


def test_s3_test_event_carries_no_objects():
    assert parse_body('{"Service": "Amazon S3", "Event": "s3:TestEvent"}') == []


def test_replica_map_format():
    mapping = parse_replica_map('{"p": {"bucket": "r", "region": "us-east-1"}}')
    assert mapping.target_for("p").bucket == "r" and mapping.is_replica_bucket("r")
    assert mapping.target_for("r") is None


@pytest.mark.parametrize(
    "raw",
    [
        None,
        "",
        "nope",
        "[]",
        "{}",
        '{"p": {"bucket": "r"}}',
        '{"p": {"bucket": "p", "region": "x"}}',
        '{"p": {"bucket": "", "region": "x"}}',
    ],
)
def test_bad_replica_maps_are_rejected(raw):
    with pytest.raises(ReplicaMapError):
        parse_replica_map(raw)


@pytest.mark.parametrize(
    "verdict, retryable, expected",
    [
        (Verdict.VERIFIED, False, Disposition.DONE),
        (Verdict.SKIPPED, False, Disposition.DONE),
        (Verdict.PENDING, False, Disposition.RETRY),
        (Verdict.ERROR, True, Disposition.RETRY),
        (Verdict.MISMATCH, False, Disposition.REPORT),
        (Verdict.REPLICATION_FAILED, False, Disposition.REPORT),
        (Verdict.ERROR, False, Disposition.REPORT),
    ],
)
def test_only_what_can_heal_is_retried(verdict, retryable, expected):
    assert disposition_of(verdict, retryable) is expected


@pytest.mark.parametrize("etag", ["0" * 32 + "\n", "٠" * 32, "0" * 31 + "-"])
def test_only_a_whole_ascii_md5_etag_counts_as_md5_evidence(etag):
    """``re.match`` with ``^...$`` let a trailing newline through, and Unicode digits are not hex."""
    assert not ObjectFacts(size=1, etag=etag).etag_is_md5
    assert ObjectFacts(size=1, etag="0" * 32).etag_is_md5
