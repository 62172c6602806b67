"""The local AWS of `make run`: moto's server, two fixes that make its SNS behave like AWS, and S3 replication.

Run as ``python -m replication.local.local_aws --port N`` (runportal does). It is one process
because two of its parts need moto's in-process model (docs/decisions/replication-local-pipeline.md):

- **SNS signatures with a Subject.** moto 5.2 leaves ``Subject`` out of the text it signs but
  sends it, so every notification published with a subject (the failure notifier's) fails a
  correct verification. :func:`sign_like_aws` signs the documented string instead.
- **SubscriptionConfirmation.** moto never sends one. After an http(s) Subscribe this sends a
  signed ``SubscriptionConfirmation`` to the endpoint (as SNS does), so the portal confirms
  through its normal path (verify, allow-list, ``ConfirmSubscription``). moto accepts any token
  and delivers before confirmation: that part stays moto's.
- **Replication.** moto stores a replication configuration but never replicates. The
  :class:`Replicator` copies each new primary version (fed by an EventBridge rule to a local
  queue) to the replica and gives the copy the primary's version id, which S3's API cannot
  set, on moto's model. A share of copies can be delayed, dropped or corrupted; so can any
  object whose ``x-amz-meta-bucketwise-replication`` metadata says ``delay``/``drop``/``corrupt``
  (what ``replication_demo`` uses for exact counts).

No Django here.
"""

from __future__ import annotations

import argparse
import base64
import heapq
import json
import logging
import random
import secrets
import signal
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote

import boto3
import requests
from botocore.exceptions import BotoCoreError, ClientError
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from lambdas.shared.events import MalformedEvent, parse_body
from replication.local.description import ACCOUNT_ID, LocalPipeline

logger = logging.getLogger("bucketwise.local_aws")

FAULT_METADATA = "bucketwise-replication"  # x-amz-meta-bucketwise-replication: delay | drop | corrupt
FAULTS = ("delay", "drop", "corrupt")

# The fields AWS signs, in order. replication/sns.py holds the same lists for verifying; it is not
# imported here because it imports the portal's settings-bound helpers and this process is
# Django-free. The end-to-end test proves the two agree (every signed delivery is accepted).
_NOTIFICATION_FIELDS = ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type")
_CONFIRMATION_FIELDS = ("Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type")


def _sign(private_key, envelope: dict, fields: tuple[str, ...]) -> str:
    text = "".join(f"{name}\n{envelope[name]}\n" for name in fields if envelope.get(name) is not None)
    return base64.b64encode(
        private_key.sign(text.encode("utf-8"), padding.PKCS1v15(), hashes.SHA256())
    ).decode()


def install_sns_fixes() -> None:
    """Patch moto's SNS in this process: AWS's string to sign, and a SubscriptionConfirmation per subscribe."""
    from moto.sns import models

    original_post_data = models.Subscription.get_post_data
    original_subscribe = models.SNSBackend.subscribe

    def sign_like_aws(self, message, message_id, subject, message_attributes=None):
        envelope = original_post_data(
            self, message, message_id, subject, message_attributes=message_attributes
        )
        envelope["Signature"] = _sign(self.private_key(), envelope, _NOTIFICATION_FIELDS)
        return envelope

    def subscribe_and_confirm(self, topic_arn, endpoint, protocol):
        subscription = original_subscribe(self, topic_arn, endpoint, protocol)
        if protocol in ("http", "https"):
            threading.Thread(target=send_subscription_confirmation, args=(subscription,), daemon=True).start()
        return subscription

    models.Subscription.get_post_data = sign_like_aws
    models.SNSBackend.subscribe = subscribe_and_confirm


def send_subscription_confirmation(subscription, attempts: int = 20) -> None:
    """POST a signed SubscriptionConfirmation to the subscriber, retrying while it is not up yet."""
    topic_arn = subscription.topic.arn
    region = topic_arn.split(":")[3]
    token = secrets.token_hex(32)
    # Registers a signing certificate for this subscription's key and names its URL.
    certificate_url = subscription.get_post_data("certificate", "certificate", None)["SigningCertURL"]
    envelope = {
        "Type": "SubscriptionConfirmation",
        "MessageId": str(uuid.uuid4()),
        "Token": token,
        "TopicArn": topic_arn,
        "Message": f"You have chosen to subscribe to the topic {topic_arn}. To confirm, visit the SubscribeURL.",
        "SubscribeURL": (
            f"https://sns.{region}.amazonaws.com/?Action=ConfirmSubscription"
            f"&TopicArn={quote(topic_arn)}&Token={token}"
        ),
        "Timestamp": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "SignatureVersion": "2",
        "SigningCertURL": certificate_url,
    }
    envelope["Signature"] = _sign(subscription.private_key(), envelope, _CONFIRMATION_FIELDS)
    for attempt in range(attempts):
        try:
            response = requests.post(
                subscription.endpoint,
                data=json.dumps(envelope),
                timeout=10,
                headers={"Content-Type": "text/plain; charset=UTF-8"},
            )
            if response.status_code < 500:
                logger.info(
                    "SubscriptionConfirmation to %s answered %s", subscription.endpoint, response.status_code
                )
                return
        except requests.RequestException:
            pass
        time.sleep(min(5.0, 0.5 * (attempt + 1)))
    logger.warning("SubscriptionConfirmation to %s was never accepted", subscription.endpoint)


@dataclass(frozen=True)
class FaultShares:
    """Shares (0..1) of replications to delay, drop or corrupt, and how long a delay is."""

    delay: float = 0.0
    drop: float = 0.0
    corrupt: float = 0.0
    delay_seconds: float = 5.0

    def draw(self, chance: random.Random) -> str | None:
        roll = chance.random()
        for fault, share in (("drop", self.drop), ("corrupt", self.corrupt), ("delay", self.delay)):
            if roll < share:
                return fault
            roll -= share
        return None


def set_version_id(bucket: str, key: str, current: str, wanted: str) -> None:
    """Give the replica version ``current`` the primary's version id (S3 replication keeps it)."""
    from moto.s3.models import s3_backends

    for version in s3_backends[ACCOUNT_ID]["aws"].buckets[bucket].keys.getlist(key):
        if version.version_id == current:
            version._version_id = wanted
            return
    raise LookupError(f"{bucket}/{key} has no version {current}")


def corrupted(body: bytes) -> bytes:
    """Same size, different content (so only a content comparison can tell)."""
    return bytes([body[0] ^ 0xFF]) + body[1:] if body else b"\x00"


class Replicator:
    """Reads the local replication feed and copies primary versions to the replica."""

    def __init__(self, pipeline: LocalPipeline, endpoint: str, faults: FaultShares, seed: int | None = None):
        self.pipeline = pipeline
        self.faults = faults
        self.chance = random.Random(seed)
        self.sqs = boto3.client("sqs", region_name=pipeline.primary_region, endpoint_url=endpoint)
        self.primary = boto3.client("s3", region_name=pipeline.primary_region, endpoint_url=endpoint)
        self.replica = boto3.client("s3", region_name=pipeline.replica_region, endpoint_url=endpoint)
        self._due: list[tuple[float, str, str]] = []  # (when, key, version id) of delayed copies

    def run(self, stop: threading.Event) -> None:
        queue_url = None
        while not stop.is_set():
            try:
                if queue_url is None:
                    queue_url = self.sqs.get_queue_url(QueueName=self.pipeline.replication_feed_queue)[
                        "QueueUrl"
                    ]
                self.poll_once(queue_url)
            except (ClientError, BotoCoreError):  # not provisioned yet, or moto busy: try again
                stop.wait(1)
            except Exception:  # one bad object must not stop replication
                logger.exception("replication emulator failed on a batch")

    def poll_once(self, queue_url: str) -> None:
        messages = self.sqs.receive_message(
            QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1, VisibilityTimeout=30
        ).get("Messages", [])
        for message in messages:
            for event in self._events(message["Body"]):
                self._schedule(event)
            self.sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
        now = time.monotonic()
        while self._due and self._due[0][0] <= now:
            _, key, version_id = heapq.heappop(self._due)
            self.copy(key, version_id, fault=None)

    @staticmethod
    def _events(body: str):
        try:
            return [event for event in parse_body(body) if event.is_creation and event.version_id]
        except MalformedEvent:
            logger.warning("replication feed: unreadable event %.200s", body)
            return []

    def _schedule(self, event) -> None:
        version_id = event.version_id
        for key in event.key_candidates:  # decoded first, then the raw key (moto sends keys raw)
            try:
                head = self.primary.head_object(
                    Bucket=self.pipeline.primary_bucket, Key=key, VersionId=version_id
                )
                break
            except ClientError:
                continue
        else:
            logger.warning("replication feed: %s@%s is gone from the primary", event.raw_key, version_id)
            return
        fault = head.get("Metadata", {}).get(FAULT_METADATA) or self.faults.draw(self.chance)
        if fault == "drop":
            logger.info("replication of %s@%s dropped", key, version_id)
        elif fault == "delay":
            heapq.heappush(self._due, (time.monotonic() + self.faults.delay_seconds, key, version_id))
        else:
            self.copy(key, version_id, fault=fault)

    def copy(self, key: str, version_id: str, fault: str | None) -> None:
        source = self.primary.get_object(Bucket=self.pipeline.primary_bucket, Key=key, VersionId=version_id)
        body = source["Body"].read()
        if fault == "corrupt":
            body = corrupted(body)
        written = self.replica.put_object(
            Bucket=self.pipeline.replica_bucket,
            Key=key,
            Body=body,
            Metadata=source.get("Metadata", {}),
            ContentType=source.get("ContentType", "binary/octet-stream"),
        )
        set_version_id(self.pipeline.replica_bucket, key, written["VersionId"], version_id)
        logger.info("replicated %s@%s%s", key, version_id, " (corrupted)" if fault == "corrupt" else "")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--primary-region", required=True)
    parser.add_argument("--replica-region", required=True)
    for fault in FAULTS:
        parser.add_argument(f"--{fault}-share", type=float, default=0.0)
    parser.add_argument("--delay-seconds", type=float, default=5.0)
    arguments = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="local AWS: %(message)s")

    from moto.server import ThreadedMotoServer

    install_sns_fixes()
    server = ThreadedMotoServer(ip_address=arguments.host, port=arguments.port, verbose=False)
    server.start()
    endpoint = f"http://{arguments.host}:{arguments.port}"
    pipeline = LocalPipeline(arguments.primary_region, arguments.replica_region, webhook_url="")
    faults = FaultShares(
        arguments.delay_share, arguments.drop_share, arguments.corrupt_share, arguments.delay_seconds
    )
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    replicator = threading.Thread(
        target=Replicator(pipeline, endpoint, faults).run, args=(stop,), daemon=True
    )
    replicator.start()
    stop.wait()
    replicator.join(timeout=5)
    server.stop()
    sys.exit(0)


if __name__ == "__main__":
    main()
