"""A request's Terraform state backend: where it is, the client that reaches it, and its lock.

The lock rules live in runner.state_lock; this module ties them to runs: the lock a dead run left
is released here, by the sweeper when it fails the run and by the next run of the request before
it starts Terraform (in case the sweeper could not reach the backend). Only a lock whose ID a
finished run recorded is ever released.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings

from core import audit
from requests_app.models import BucketRequest
from runner import aws, state_lock
from runner.models import FINISHED_STATUSES, Run
from runner.workspace import BackendTarget

logger = logging.getLogger(__name__)


def backend_target(state_key: str, role_arn: str = "") -> BackendTarget:
    return BackendTarget(
        key=state_key,
        local_state_dir=Path(settings.TERRAFORM_STATE_DIR),
        bucket=settings.TERRAFORM_STATE_BUCKET,
        region=settings.TERRAFORM_STATE_REGION,
        lock_table=settings.TERRAFORM_LOCK_TABLE,
        endpoint_url=settings.AWS_ENDPOINT_URL,
        role_arn=role_arn,
    )


def target_of(request: BucketRequest, state_key: str = "") -> BackendTarget:
    from requests_app.contract import state_key as request_state_key

    return backend_target(
        state_key or request_state_key(request.environment, request.request_id),
        aws.role_arn(request.environment),
    )


def lock_client(target: BackendTarget, environment: str):
    """The client holding ``target``'s lock: DynamoDB with a lock table, else S3 (the lockfile)."""
    return aws.client("dynamodb" if target.lock_table else "s3", environment, region=target.region)


def release_dead_runs_lock(request: BucketRequest, *, actor="system") -> str:
    """Release the state lock of ``request`` if a finished run of it recorded that lock; its ID, or ''.

    Nothing happens on local state, when the state is unlocked, or when the lock is not one a
    finished run took (a live run's lock, or one taken by hand). A backend that cannot be reached
    is logged and left for the next attempt.
    """
    target = target_of(request)
    if not target.bucket:
        return ""
    # No finished run of the request recorded a lock (a first run): no AWS client, no call.
    if (
        not Run.objects.filter(request=request, status__in=FINISHED_STATUSES)
        .exclude(state_lock_id="")
        .exists()
    ):
        return ""
    try:
        client = lock_client(target, request.environment)
        lock = state_lock.read_lock(target, client)
        if lock is None:
            return ""
        dead_run = Run.objects.filter(
            request=request, status__in=FINISHED_STATUSES, state_lock_id=lock.id
        ).first()
        if dead_run is None or not state_lock.release_lock(target, client, lock.id):
            return ""
    except (BotoCoreError, ClientError):
        logger.warning("could not check the state lock of %s", request.request_id, exc_info=True)
        return ""
    audit.record(
        "run.state_lock_released",
        actor=actor,
        request=request,
        detail={"run": dead_run.pk, "lock_id": lock.id, "lock": state_lock.lock_path(target)},
    )
    return lock.id


class StateUnreadable(Exception):
    """The request's Terraform state could not be read, or is not a state document."""


def managed_resources(request: BucketRequest, state_key: str = "") -> list[str]:
    """Addresses of the managed resources in ``request``'s Terraform state, or in the one at ``state_key``
    (``module.bucket.aws_s3_bucket.this``).

    No state yet is an empty state. Data sources are not counted: they make nothing. Raises
    :class:`StateUnreadable` when the backend cannot be reached or the document is not a state.
    """
    text = _state_text(target_of(request, state_key), request.environment)
    if text is None:
        return []
    try:
        document = json.loads(text)
        resources = document.get("resources") or []
        return [
            ".".join(filter(None, (str(item.get("module") or ""), str(item["type"]), str(item["name"]))))
            for item in resources
            if item.get("mode") == "managed" and item.get("instances")
        ]
    except (ValueError, AttributeError, KeyError, TypeError, RecursionError) as error:
        raise StateUnreadable(
            f"The Terraform state of {request.request_id} is not a state document."
        ) from error


def _state_text(target: BackendTarget, environment: str) -> str | None:
    """The state document's text, or None when there is no state yet.

    Read while a person waits (abandoning), so with ``aws.check_config()``'s short timeouts and one retry.
    """
    where = (
        str(target.local_state_dir / target.key)
        if not target.bucket
        else f"s3://{target.bucket}/{target.key}"
    )
    try:
        if not target.bucket:
            path = target.local_state_dir / target.key
            return path.read_text(encoding="utf-8") if path.exists() else None
        client = aws.client("s3", environment, region=target.region, config=aws.check_config())
        return client.get_object(Bucket=target.bucket, Key=target.key)["Body"].read().decode("utf-8")
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
            return None
        raise StateUnreadable(f"The Terraform state at {where} could not be read: {error}") from error
    except (BotoCoreError, OSError, UnicodeDecodeError) as error:
        raise StateUnreadable(f"The Terraform state at {where} could not be read: {error}") from error
