"""Saved plans: kept in the database, read back by whichever worker applies them.

A plan file is written by one worker and may be applied by another machine hours later,
so the file itself (a few kilobytes to a few hundred) is stored on the SavedPlan row, with
its SHA-256, its show-json, its rendered text and its classified changes
(docs/decisions/runner-plan-approval.md).

Once no apply can use a plan any more its file is removed (:func:`prune_plan_files`, every hour);
the row stays with the rendered plan, the show-json, the changes and the SHA-256 approvers and
auditors read (docs/decisions/retention-plans-and-sns-messages.md).
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone

from requests_app.models import BucketRequest
from requests_app.status_machine import FINAL_STATES
from runner.models import ACTIVE_STATUSES, Run, RunKind, RunStatus, SavedPlan

logger = logging.getLogger(__name__)


class PlanFileDamaged(Exception):
    """The stored plan file is gone or no longer has the SHA-256 it was saved (and voted on) with."""


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def save_plan(
    run: Run, *, plan_file: bytes, show_json: dict, rendered: str, changes: list[dict]
) -> SavedPlan:
    """Keep the plan ``run`` made; its hash is what approvers vote on."""
    return SavedPlan.objects.create(
        run=run,
        request=run.request,
        sha256=sha256_of(plan_file),
        contract_hash=run.request.contract_hash,
        plan_file=plan_file,
        show_json=show_json,
        rendered=rendered,
        changes=changes,
    )


def approved_plan(request: BucketRequest) -> SavedPlan | None:
    """The saved plan the request's votes bind to, until an apply run of the request succeeds.

    None for a request approved without a plan (auto-approved), and once the approved plan's
    work is done: a later apply run (a remediation of drift) plans afresh, under the same
    destroy refusal, instead of finding a long-applied plan stale.
    """
    if not request.plan_hash:
        return None
    return (
        SavedPlan.objects.filter(request=request, sha256=request.plan_hash).exclude(_applied_since()).first()
    )


def _applied_since() -> Exists:
    """An apply run of the plan's request that succeeded after the plan was made: its work is done."""
    return Exists(
        Run.objects.filter(
            request=OuterRef("request"),
            kind=RunKind.APPLY,
            status=RunStatus.SUCCEEDED,
            pk__gt=OuterRef("run"),
        )
    )


def no_longer_appliable() -> QuerySet[SavedPlan]:
    """The saved plans no apply run can ever use again.

    A plan stays appliable while its run is queued or running (a plan run's plan becomes the one
    votes bind to when the run ends), and while it is :func:`approved_plan` of a request that can
    still change (an approved, queued or failed request's retry applies it). Every other plan is
    out for good: the plan votes bind to is only ever replaced by the plan of a run that is ending
    (``requests_app.plans.plan_ready``, under that run's lock), a SHA-256 is saved once per request,
    a succeeded apply stays succeeded, and rejected or cancelled requests never change again.
    """
    return SavedPlan.objects.exclude(run__status__in=ACTIVE_STATUSES).filter(
        Q(request__status__in=FINAL_STATES) | ~Q(sha256=F("request__plan_hash")) | _applied_since()
    )


def prune_plan_files() -> int:
    """Remove the files of the saved plans no apply can use any more; returns how many.

    Per request, under its row lock (what :func:`no_longer_appliable` reads of the request cannot
    change meanwhile; a run ending takes the same lock before it makes its plan the current one).
    Idempotent: a removed file is not counted again, so two workers pruning at once remove each
    file once.
    """
    request_ids = (
        no_longer_appliable().filter(file_removed_at=None).values_list("request_id", flat=True).distinct()
    )
    removed = sum(_prune_request(request_id) for request_id in list(request_ids))
    if removed:
        logger.info("saved plan files removed", extra={"removed": removed})
    return removed


@transaction.atomic
def _prune_request(request_id: int) -> int:
    BucketRequest.objects.select_for_update().filter(pk=request_id).first()
    return (
        no_longer_appliable()
        .filter(request_id=request_id, file_removed_at=None)
        .update(plan_file=b"", file_removed_at=timezone.now())
    )


def latest_plan(request: BucketRequest) -> SavedPlan | None:
    """The newest plan Terraform made for the request (the one to vote on, or the one applied), to show:
    without the plan file and the show-json (the prior state included), which only a run reads."""
    return (
        SavedPlan.objects.filter(request=request)
        .select_related("run")
        .defer("plan_file", "show_json")
        .order_by("-id")
        .first()
    )


def write_plan_file(saved: SavedPlan, path: Path) -> None:
    """Write the stored plan file to ``path`` after checking it is the file that was voted on."""
    if saved.file_removed_at is not None:
        raise PlanFileDamaged(
            f"The plan {saved.sha256[:12]} was removed on {saved.file_removed_at:%Y-%m-%d %H:%M} UTC, "
            "when no apply could use it any more; it is not applied."
        )
    data = bytes(saved.plan_file)
    if sha256_of(data) != saved.sha256:
        raise PlanFileDamaged(
            f"The stored plan {saved.sha256[:12]} does not match its SHA-256; it is not applied."
        )
    path.write_bytes(data)
