"""Saved plans: kept in the database, read back by whichever worker applies them.

A plan file is written by one worker and may be applied by another machine hours later,
so the file itself (a few kilobytes to a few hundred) is stored on the SavedPlan row, with
its SHA-256, its show-json, its rendered text and its classified changes
(docs/decisions/runner-plan-approval.md).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from requests_app.models import BucketRequest
from runner.models import Run, RunKind, RunStatus, SavedPlan


class PlanFileDamaged(Exception):
    """The stored plan file no longer has the SHA-256 it was saved (and voted on) with."""


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
    plan = SavedPlan.objects.filter(request=request, sha256=request.plan_hash).first()
    if (
        plan is None
        or request.runs.filter(kind=RunKind.APPLY, status=RunStatus.SUCCEEDED, pk__gt=plan.run_id).exists()
    ):
        return None
    return plan


def latest_plan(request: BucketRequest) -> SavedPlan | None:
    """The newest plan Terraform made for the request (the one to vote on, or the one applied)."""
    return SavedPlan.objects.filter(request=request).select_related("run").order_by("-id").first()


def write_plan_file(saved: SavedPlan, path: Path) -> None:
    """Write the stored plan file to ``path`` after checking it is the file that was voted on."""
    data = bytes(saved.plan_file)
    if sha256_of(data) != saved.sha256:
        raise PlanFileDamaged(
            f"The stored plan {saved.sha256[:12]} does not match its SHA-256; it is not applied."
        )
    path.write_bytes(data)
