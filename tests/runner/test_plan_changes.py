"""The plan classifier, the destroy refusal and the approval comparison, on `terraform show -json` shapes."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from runner.plan_changes import (
    DATA_BEARING_TYPES,
    action_counts,
    change_action,
    destroy_refusal,
    plan_changes,
    within_approval,
)


def change(address, actions, *, kind=None, mode="managed", importing=False, before=None, after=None, **extra):
    body = {"actions": actions, "before": before, "after": after}
    if importing:
        body["importing"] = {"id": "existing-id"}
    return {
        "address": address,
        "mode": mode,
        "type": kind or address.split(".")[-2],
        "name": address.split(".")[-1],
        "change": body,
        **extra,
    }


BUCKET = "module.bucket.aws_s3_bucket.this"


@pytest.mark.parametrize(
    "actions, importing, expected",
    [
        (["create"], False, "create"),
        (["update"], False, "update"),
        (["delete"], False, "delete"),
        (["delete", "create"], False, "replace"),
        (["create", "delete"], False, "replace"),  # create_before_destroy
        (["no-op"], False, "no-op"),
        (["no-op"], True, "import"),
        (["update"], True, "import-update"),
        (["read"], False, "read"),
        (["forget"], False, "no-op"),  # a `removed` block with destroy = false: out of state, not destroyed
    ],
)
def test_each_terraform_action_list_has_one_name(actions, importing, expected):
    assert change_action(change(BUCKET, actions, importing=importing)) == expected


def test_a_plan_lists_every_managed_resource_with_its_action_and_type():
    plan = {
        "resource_changes": [
            change(BUCKET, ["no-op"]),
            change("module.bucket.aws_s3_bucket_versioning.this", ["update"]),
            change("aws_iam_policy.app", ["create"]),
            change(
                "module.bucket.data.aws_kms_alias.bucket_key[0]", ["read"], kind="aws_kms_alias", mode="data"
            ),
        ]
    }
    assert plan_changes(plan) == [
        {"address": BUCKET, "type": "aws_s3_bucket", "action": "no-op"},
        {
            "address": "module.bucket.aws_s3_bucket_versioning.this",
            "type": "aws_s3_bucket_versioning",
            "action": "update",
        },
        {"address": "aws_iam_policy.app", "type": "aws_iam_policy", "action": "create"},
        {
            "address": "module.bucket.data.aws_kms_alias.bucket_key[0]",
            "type": "aws_kms_alias",
            "action": "read",
        },
    ]
    assert action_counts(plan_changes(plan)) == {"no-op": 1, "update": 1, "create": 1, "read": 1}
    assert plan_changes({}) == []


def test_a_twin_stack_stand_in_reports_the_type_it_stands_for_on_either_side():
    replaced = change(
        "terraform_data.bucket",
        ["delete", "create"],
        kind="terraform_data",
        before={"input": {"stands_for": "aws_s3_bucket"}},
        after={"input": {"stands_for": "aws_s3_bucket"}},
    )
    deleted = change(
        "terraform_data.bucket",
        ["delete"],
        kind="terraform_data",
        before={"input": {"stands_for": "aws_s3_bucket"}},
        after=None,
    )
    plain = change("terraform_data.marker", ["delete"], kind="terraform_data", before={"input": "x"})
    assert [c["type"] for c in plan_changes({"resource_changes": [replaced, deleted, plain]})] == [
        "aws_s3_bucket",
        "aws_s3_bucket",
        "terraform_data",
    ]


@pytest.mark.parametrize("kind", sorted(DATA_BEARING_TYPES))
@pytest.mark.parametrize("actions", [["delete"], ["delete", "create"], ["create", "delete"]])
def test_deleting_or_replacing_any_data_bearing_resource_is_refused(kind, actions):
    plan = {"resource_changes": [change(f"module.bucket.{kind}.this", actions, kind=kind)]}
    refusal = destroy_refusal(plan_changes(plan))
    assert refusal is not None and f"module.bucket.{kind}.this" in refusal
    assert refusal.startswith("Refused: this plan would ")


@pytest.mark.parametrize(
    "kind, actions",
    [
        ("aws_s3_bucket", ["create"]),
        ("aws_s3_bucket", ["update"]),
        ("aws_s3_bucket", ["no-op"]),
        ("aws_s3_bucket_policy", ["delete"]),
        ("aws_s3_bucket_lifecycle_configuration", ["delete", "create"]),
        ("aws_cloudwatch_metric_alarm", ["delete", "create"]),
        ("aws_iam_policy", ["delete"]),
    ],
)
def test_changes_that_lose_no_data_are_not_refused(kind, actions):
    assert (
        destroy_refusal(plan_changes({"resource_changes": [change(f"x.{kind}.this", actions, kind=kind)]}))
        is None
    )


def test_the_refusal_names_every_destructive_change_and_only_those():
    plan = {
        "resource_changes": [
            change(BUCKET, ["delete", "create"]),
            change("aws_iam_policy.app", ["delete"]),
            change("aws_s3_object.readme", ["delete"]),
        ]
    }
    refusal = destroy_refusal(plan_changes(plan))
    assert f"replace {BUCKET}, delete aws_s3_object.readme." in refusal
    assert "aws_iam_policy" not in refusal


def pairs(*items):
    return [{"address": address, "type": "t", "action": action} for address, action in items]


APPROVED = pairs(("a", "create"), ("b", "create"), ("c", "update"))


@pytest.mark.parametrize(
    "new, within",
    [
        (APPROVED, True),
        (
            pairs(("a", "no-op"), ("b", "create"), ("c", "update")),
            True,
        ),  # an interrupted apply made a already
        (
            pairs(("a", "import"), ("b", "create"), ("c", "no-op")),
            True,
        ),  # a retry adopts what the approved create made
        (pairs(("a", "import-update"), ("b", "create")), True),
        (pairs(("a", "create"), ("b", "create"), ("c", "update"), ("d", "create")), False),  # something new
        (pairs(("a", "update"), ("b", "create")), False),  # another action on an approved address
        (pairs(("c", "import")), False),  # importing what was approved as an update
        (pairs(("a", "replace")), False),
    ],
)
def test_a_new_plan_is_within_the_approval_only_when_it_does_nothing_else(new, within):
    assert within_approval(APPROVED, new) is within


@given(
    st.lists(
        st.tuples(st.sampled_from("abcde"), st.sampled_from(["create", "update", "delete", "replace"])),
        max_size=6,
    )
)
def test_a_plan_is_always_within_its_own_approval(items):
    assert within_approval(pairs(*items), pairs(*items))
