"""Abandoning a failed request: the other answer to a failure, beside a retry.

A failed request holds its bucket name and its catalog entry, because it may have made part of
the bucket and can be retried (docs/decisions/portal-unique-bucket-names.md). When nobody will
retry it (the name belongs to another AWS account, the team no longer needs the bucket), a platform
approver abandons it: the request ends *cancelled* and releases the name.

Abandoning must never leave a bucket nobody manages, so it is refused unless both say nothing
of the request exists:

- its Terraform state holds no managed resource (no state yet counts as empty), and
- its bucket is not in the environment's account (``ListBuckets`` of the environment's role: a name
  another account holds does not count).

The bucket check covers a worker killed between AWS creating the bucket and Terraform writing
its state. Then the request is cancelled (``request.abandon``, audited with the reason and both
checks) and its catalog entry, which describes a bucket that was never made, is removed
(``catalog.removed``, naming every row that goes with it: requests_app.catalog.remove_entry). Who may
abandon: the people who may retry (``runner.access.can_retry``). A person waits for the AWS checks, so
they use ``aws.check_config()`` (short timeouts, two tries).
"""

import logging

from botocore.exceptions import BotoCoreError, ClientError
from django.db import IntegrityError

from core import audit
from core.free_text import unstorable
from requests_app import catalog, status_machine
from requests_app.contract import state_key
from requests_app.models import BucketRequest, RequestStatus
from runner import aws
from runner.dispatch import RunnerError
from runner.models import ACTIVE_STATUSES
from runner.state_backend import StateUnreadable, managed_resources

logger = logging.getLogger(__name__)

REASON_LIMIT = 1000
# How many of the state's resources a refusal names.
NAMED_RESOURCES = 5


class ReasonInvalid(RunnerError):
    """The reason is missing, too long or cannot be stored (core.free_text); the message says which."""


def checked_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ReasonInvalid("Say why the request is abandoned (the audit trail keeps it).")
    if len(reason) > REASON_LIMIT:
        raise ReasonInvalid(
            f"The reason is {len(reason):,} characters long; the most allowed is {REASON_LIMIT:,}."
        )
    problem = unstorable(reason)
    if problem:
        raise ReasonInvalid(f"The reason {problem}.")
    return reason


def abandon_request(request: BucketRequest, *, actor, reason: str) -> BucketRequest:
    """End failed ``request`` as cancelled, once nothing of it exists; raises :class:`RunnerError` otherwise.

    The state and the account are read outside any transaction (AWS may take seconds to answer, and on
    SQLite a write transaction holds the whole database); the request is then locked and must be as it was
    when they were read: still failed, no active run, the same newest run. Otherwise nothing is changed.
    """
    reason = checked_reason(reason)
    seen = _last_run_if_abandonable(BucketRequest.objects.get(pk=request.pk))
    checks = {"state_resources": _state_resources(request), "bucket_in_account": _bucket_in_account(request)}
    try:
        return _end_abandoned(request, seen, checks, actor=actor, reason=reason)
    except IntegrityError as error:
        # A row that appeared meanwhile now refers to what the removal deletes (a replication worker
        # recording an event on the request's pair): the database refused the commit, and nothing changed.
        # The database's own words go to the log, not to the caller.
        logger.warning("abandoning %s refused by the database: %s", request.request_id, error)
        raise RunnerError(
            f"{request.request_id} changed while it was being abandoned; nothing was changed, try again."
        ) from error


@audit.atomic()
def _end_abandoned(request: BucketRequest, seen: int | None, checks: dict, *, actor, reason: str):
    locked = BucketRequest.objects.select_for_update().get(pk=request.pk)
    if _last_run_if_abandonable(locked) != seen:
        raise RunnerError(f"{locked.request_id} has a new run since it was checked; nothing was changed.")
    status_machine.transition(
        locked, "abandon", actor=actor, detail={"reason": reason, **checks}, row_locked=True
    )
    catalog.remove_entry(locked, actor=actor, reason=reason)
    return locked


def _last_run_if_abandonable(request: BucketRequest) -> int | None:
    """The pk of the request's newest run (None: it has none) when it may be abandoned; raises otherwise."""
    if request.status != RequestStatus.FAILED:
        raise RunnerError(
            f"{request.request_id} is {request.get_status_display().lower()}; only a failed request can be abandoned."
        )
    if request.runs.filter(status__in=ACTIVE_STATUSES).exists():
        raise RunnerError(f"{request.request_id} has an active run; wait for it to end.")
    return request.runs.order_by("-pk").values_list("pk", flat=True).first()


def _state_resources(request: BucketRequest) -> int:
    """0, or raises: the request's state, and any other a run of it recorded, hold no managed resource."""
    keys = {state_key(request.environment, request.request_id)}
    keys |= set(request.runs.exclude(state_key="").values_list("state_key", flat=True))
    try:
        resources = [address for key in sorted(keys) for address in managed_resources(request, key)]
    except StateUnreadable as error:
        raise RunnerError(f"{error} Nothing was changed; try again once the state can be read.") from error
    if resources:
        named = ", ".join(resources[:NAMED_RESOURCES]) + (", …" if len(resources) > NAMED_RESOURCES else "")
        raise RunnerError(
            f"{request.request_id} cannot be abandoned: its Terraform state holds {len(resources)} "
            f"resource{'s' if len(resources) != 1 else ''} ({named}). Retry it to finish the bucket, "
            "or have them destroyed first; abandoning would leave them unmanaged."
        )
    return 0


def _bucket_in_account(request: BucketRequest) -> bool:
    """False when the environment's account has no bucket of the request's name; raises when it has.

    ``ListBuckets`` lists the caller's own account only, so a name another account holds (the usual
    reason such a request failed: ``BucketAlreadyExists``) does not count; ``HeadBucket`` would not
    tell the two apart everywhere (moto answers 200 across accounts).
    """
    try:
        pages = (
            aws.client("s3", request.environment, config=aws.check_config())
            .get_paginator("list_buckets")
            .paginate(Prefix=request.bucket_name)
        )
        names = {bucket["Name"] for page in pages for bucket in page.get("Buckets", [])}
    except (BotoCoreError, ClientError) as error:
        raise RunnerError(
            f"Could not check whether the bucket {request.bucket_name} exists ({error}); "
            "nothing was changed, try again."
        ) from error
    if request.bucket_name not in names:
        return False
    raise RunnerError(
        f"{request.request_id} cannot be abandoned: the bucket {request.bucket_name} exists in the "
        f"{request.environment} account although its Terraform state is empty. Import it into the state "
        "(retry the request) or delete it by hand first; abandoning would leave it unmanaged."
    )
