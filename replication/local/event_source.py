"""Lambda's SQS event source mapping, emulated: long-poll a queue, invoke the handler, settle the batch.

What AWS does and this does the same way (docs/decisions/replication-local-pipeline.md):
- receive up to ``batch_size`` messages with every system attribute (``ApproximateReceiveCount``…);
  the queue's visibility timeout hides them while the function runs;
- build the SQS event exactly as Lambda does and call ``handler(event, context)``;
- ReportBatchItemFailures: delete every record the response does not name; an invalid response
  (an identifier that is empty or not in the batch) or a raised exception fails the whole batch;
- nothing else: a failed record reappears when its visibility timeout ends, SQS counts receives and
  moves a message to the queue's DLQ after ``maxReceiveCount`` (moto does this on the next receive).

Plain boto3: no Django is imported here or by the handlers.
"""

from __future__ import annotations

import importlib
import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

logger = logging.getLogger("bucketwise.local_pipeline")


def load_handler(spec: str) -> Callable[[dict, object], dict]:
    module_name, _, function = spec.partition(":")
    return getattr(importlib.import_module(module_name), function)


@dataclass
class LambdaContext:
    """The attributes handlers commonly read from Lambda's context object."""

    function_name: str
    timeout_seconds: float = 30.0

    def __post_init__(self):
        self.aws_request_id = str(uuid.uuid4())
        self._deadline = time.monotonic() + self.timeout_seconds

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def sqs_event(messages: list[dict], queue_arn: str, region: str) -> dict:
    """The event Lambda builds from received messages."""
    return {
        "Records": [
            {
                "messageId": message["MessageId"],
                "receiptHandle": message["ReceiptHandle"],
                "body": message["Body"],
                "attributes": message.get("Attributes", {}),
                "messageAttributes": message.get("MessageAttributes", {}),
                "md5OfBody": message.get("MD5OfBody", ""),
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": region,
            }
            for message in messages
        ]
    }


def records_to_keep(response: object, message_ids: set[str]) -> set[str] | None:
    """The message IDs the function reported as failed; None when the whole batch failed."""
    if response is None:
        return set()
    if not isinstance(response, dict):
        return None
    failures = response.get("batchItemFailures") or []
    if not isinstance(failures, list):
        return None
    failed = set()
    for failure in failures:
        identifier = failure.get("itemIdentifier") if isinstance(failure, dict) else None
        if not identifier or identifier not in message_ids:
            return None  # Lambda treats an invalid partial response as a failure of every record
        failed.add(identifier)
    return failed


class EventSourceMapping:
    """One queue feeding one function."""

    def __init__(
        self,
        *,
        sqs,
        function_name: str,
        handler: Callable,
        queue_url: str,
        queue_arn: str,
        region: str,
        batch_size: int = 10,
        wait_seconds: int = 1,
    ):
        self.sqs = sqs
        self.function_name = function_name
        self.handler = handler
        self.queue_url = queue_url
        self.queue_arn = queue_arn
        self.region = region
        self.batch_size = batch_size
        self.wait_seconds = wait_seconds

    def poll_once(self) -> int:
        """Receive one batch and settle it; returns how many messages were received."""
        messages = self.sqs.receive_message(
            QueueUrl=self.queue_url,
            MaxNumberOfMessages=self.batch_size,
            WaitTimeSeconds=self.wait_seconds,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        ).get("Messages", [])
        if not messages:
            return 0
        try:
            response = self.handler(
                sqs_event(messages, self.queue_arn, self.region), LambdaContext(self.function_name)
            )
        except Exception:  # a crashed invocation fails its batch, as in Lambda
            logger.exception(
                "%s failed; the batch of %d returns after its visibility timeout",
                self.function_name,
                len(messages),
            )
            return len(messages)
        failed = records_to_keep(response, {message["MessageId"] for message in messages})
        if failed is None:
            logger.error(
                "%s returned an invalid batch response %r; the whole batch is retried",
                self.function_name,
                response,
            )
            return len(messages)
        done = [message for message in messages if message["MessageId"] not in failed]
        if done:
            self.sqs.delete_message_batch(
                QueueUrl=self.queue_url,
                Entries=[
                    {"Id": str(index), "ReceiptHandle": message["ReceiptHandle"]}
                    for index, message in enumerate(done)
                ],
            )
        return len(messages)

    def run(self, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                self.poll_once()
            except Exception:  # keep polling, like the managed poller, after a pause
                logger.exception("polling %s for %s failed", self.queue_url, self.function_name)
                stop.wait(1)
