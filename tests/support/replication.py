"""Replication health helpers and fixtures (registered in tests/conftest.py): catalog entries, notifier
documents, a signed hook."""

import itertools
import json

import pytest
from django.test import Client

from core.models import Team
from lambdas.failure_notifier.message import sns_message
from lambdas.shared.events import ObjectEvent
from lambdas.shared.failure_document import build_failure_document
from lambdas.shared.replica_map import ReplicaTarget
from lambdas.shared.verdicts import Outcome, Reason, Verdict
from replication import processing, webhook
from replication.sns import CertificateCache
from requests_app.models import BucketRequest, CatalogEntry, CatalogStatus
from tests.replication.signing import TOPIC_ARN, SigningAuthority, body

HOOK = "/hooks/sns/replication/"
_numbers = itertools.count(9000)


def make_catalog_entry(
    bucket_name: str, team_slug: str = "app-team", environment: str = "prod"
) -> CatalogEntry:
    team, _ = Team.objects.get_or_create(slug=team_slug, defaults={"name": team_slug.title()})
    number = next(_numbers)
    request = BucketRequest.objects.create(
        request_id=f"S3-{number:04d}",
        number=number,
        environment=environment,
        application="app",
        purpose="backup",
        bucket_name=bucket_name,
        owner=team,
        requester="rita",
        contract={},
        contract_hash="0" * 64,
        status="applied",
    )
    return CatalogEntry.objects.create(
        bucket_name=bucket_name,
        request=request,
        owner=team,
        environment=environment,
        purpose="backup",
        region="eu-west-1",
        status=CatalogStatus.ACTIVE,
    )


def failure_document(
    primary="orders-prod",
    replica="orders-prod-replica",
    key="a/b.csv",
    version="v1",
    verdict=Verdict.MISMATCH,
    reason=Reason.CONTENT_MISMATCH,
) -> dict:
    """A failure document exactly as the notifier Lambda builds it."""
    event = ObjectEvent(
        bucket=primary,
        key=key,
        raw_key=key,
        version_id=version,
        event_name="Object Created",
        is_creation=True,
        is_delete_marker=False,
        event_time="2026-11-02T10:00:00Z",
    )
    record = {
        "messageId": "sqs-1",
        "attributes": {"ApproximateReceiveCount": "1"},
        "eventSourceARN": "arn:aws:sqs:eu-west-1:123456789012:validation",
    }
    return build_failure_document(
        outcome=Outcome(verdict, reason, detail="checksums differ"),
        event=event,
        replica=ReplicaTarget(replica, "eu-central-1"),
        record=record,
    )


def https_message(document: dict) -> str:
    """What SNS delivers as ``Message`` to an https subscriber of the notifier's publish."""
    return json.loads(sns_message(document))["https"]


@pytest.fixture(scope="session")
def authority():
    return SigningAuthority()


@pytest.fixture
def hook(authority, settings, monkeypatch, db):
    """Post signed deliveries to the webhook; the certificate fetcher serves the test certificate.

    After each post the worker's drain runs in this process (``process=False`` leaves what the hook
    stored pending); the hand-over to a real worker cluster is tested in test_processing_queue.py.
    """
    settings.SNS_ALLOWED_TOPIC_ARNS = [TOPIC_ARN]
    monkeypatch.setattr(webhook, "CERTIFICATES", CertificateCache(authority.fetch))
    client = Client()

    def post(envelope_or_bytes, *, process=True):
        raw = envelope_or_bytes if isinstance(envelope_or_bytes, bytes) else body(envelope_or_bytes)
        response = client.post(HOOK, data=raw, content_type="text/plain; charset=UTF-8")
        if process:
            processing.process_pending()
        return response

    return post
