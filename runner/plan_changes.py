"""What a Terraform plan does, read from ``terraform show -json``: one action per resource address.

Pure functions, tested on show-json shapes without running Terraform. Three rules live here
and nowhere else:

- the action of a resource change (create, update, delete, replace, import, import-update,
  read, no-op);
- which resource types hold data (:data:`DATA_BEARING_TYPES`): a plan that deletes or
  replaces one of them is refused, whatever approved it (docs/decisions/runner-plan-approval.md);
- when a new plan stays within the plan approvers voted on (:func:`within_approval`).
"""

from __future__ import annotations

from collections.abc import Iterable

CREATE, UPDATE, DELETE, REPLACE = "create", "update", "delete", "replace"
IMPORT, IMPORT_UPDATE, READ, NO_OP = "import", "import-update", "read", "no-op"

# Resource types whose deletion loses data (or makes it unreadable): the bucket and its
# objects, and the KMS keys that encrypt them. Delete or replace of any is refused.
DATA_BEARING_TYPES = frozenset(
    {
        "aws_s3_bucket",
        "aws_s3_directory_bucket",
        "aws_s3_object",
        "aws_s3_bucket_object",
        "aws_kms_key",
        "aws_kms_replica_key",
    }
)
DESTRUCTIVE_ACTIONS = frozenset({DELETE, REPLACE})

# The provider-free twin stack (terraform/testing/s3-request-fake) has no AWS types: its
# terraform_data resources say which type they stand for in ``input.stands_for``.
STAND_IN_TYPE = "terraform_data"


def change_action(change: dict) -> str:
    """The one action of a ``resource_changes`` item, as the approver reads it."""
    actions = list(change.get("change", {}).get("actions", []))
    importing = change.get("change", {}).get("importing") is not None
    if "delete" in actions and "create" in actions:
        return REPLACE
    if actions == ["delete"]:
        return DELETE
    if actions == ["create"]:
        return CREATE
    if actions == ["read"]:
        return READ
    if actions == ["update"]:
        return IMPORT_UPDATE if importing else UPDATE
    if importing:
        return IMPORT
    return NO_OP


def resource_type(change: dict) -> str:
    """The resource's type; a twin-stack stand-in reports the AWS type it stands for."""
    kind = str(change.get("type", ""))
    if kind != STAND_IN_TYPE:
        return kind
    body = change.get("change", {})
    for side in (body.get("before"), body.get("after")):
        stands_for = (side or {}).get("input") if isinstance(side, dict) else None
        if isinstance(stands_for, dict) and stands_for.get("stands_for"):
            return str(stands_for["stands_for"])
    return kind


def plan_changes(plan: dict) -> list[dict]:
    """Each managed resource of the plan as ``{"address", "type", "action"}``, in Terraform's order."""
    return [
        {
            "address": str(change.get("address", "")),
            "type": resource_type(change),
            "action": change_action(change),
        }
        for change in plan.get("resource_changes", [])
        if change.get("mode", "managed") == "managed" or change_action(change) != NO_OP
    ]


def action_counts(changes: Iterable[dict]) -> dict:
    """How many resources each action touches, for a one-line summary."""
    counts: dict[str, int] = {}
    for change in changes:
        counts[change["action"]] = counts.get(change["action"], 0) + 1
    return counts


def destructive_changes(changes: Iterable[dict]) -> list[dict]:
    """The changes that would delete or replace a data-bearing resource."""
    return [
        change
        for change in changes
        if change["type"] in DATA_BEARING_TYPES and change["action"] in DESTRUCTIVE_ACTIONS
    ]


def destroy_refusal(changes: Iterable[dict]) -> str | None:
    """Why the runner refuses this plan (None when it does not delete or replace data)."""
    refused = destructive_changes(changes)
    if not refused:
        return None
    listed = ", ".join(f"{change['action']} {change['address']}" for change in refused)
    return (
        f"Refused: this plan would {listed}. The runner never deletes or replaces a bucket or the "
        "resources holding its data; nothing was applied. Find out why Terraform wants to (a renamed "
        "bucket, a tainted resource, a changed immutable setting) and fix that instead."
    )


def pairs(changes: Iterable[dict]) -> set[tuple[str, str]]:
    return {(change["address"], change["action"]) for change in changes}


def within_approval(approved: Iterable[dict], new: Iterable[dict]) -> bool:
    """True when the new plan does only what the approved plan would have done.

    Every change of the new plan (no-op and read aside) must be in the approved plan, except
    that an approved ``create`` also covers importing that address: a retry after a partial
    apply adopts what the approved create already made. Approved changes that are no longer
    needed (done by an earlier, interrupted apply) may drop out.
    """
    allowed = pairs(approved)
    for address, action in pairs(new):
        if action in (NO_OP, READ) or (address, action) in allowed:
            continue
        if action in (IMPORT, IMPORT_UPDATE) and (address, CREATE) in allowed:
            continue
        return False
    return True
