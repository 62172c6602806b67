"""The runner applies the REAL terraform/stacks/s3-request with the real hashicorp/aws provider on moto
server (S3 state), and what AWS holds afterwards is read back with boto3 and compared with the contract.

One prod request (SSE-KMS with the platform key, access logging, versioning) is applied once for the
module; every test reads back one part of it.
"""

import json
import os
import re

import pytest

from runner.execution import terraform_binary
from runner.terraform_process import run_command
from runner.workspace import BackendTarget, prepare_workspace
from tests.contract.cases import request_input
from tests.support.real_terraform import REAL_STACK, locked_providers

# Transactional like the other runner tests: the module's apply commits rows a worker could read.
pytestmark = [
    pytest.mark.slow,
    pytest.mark.real_provider,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PROD_INPUT = request_input(
    environment="prod",
    application="realstack",
    storageClass="standard-ia",
    transitionDays=30,
    retentionType="time-bounded",
    expirationDays=400,
    retentionRationale="Receipts are kept 400 days for disputes",
)


# Prod runs assume prod's role, in another account: moto keeps IAM, CloudWatch and KMS per account, so
# where the policy and the alarm land shows which credentials the provider really used.
PROD_ROLE = "arn:aws:iam::111111111111:role/bucketwise-prod"


@pytest.fixture(scope="module")
def applied(real_apply):
    applied = real_apply(PROD_INPUT, role_arn=PROD_ROLE)
    assert applied.run["status"] == "succeeded", applied.run["error_summary"] + applied.run["log"][-3000:]
    return applied


class RoleClients:
    """boto3 clients on moto acting as prod's role: what the run made lives in that role's account."""

    def __init__(self, environment):
        self.environment = environment
        self.state_bucket = environment.state_bucket

    def client(self, service: str):
        return self.environment.client(service, PROD_ROLE)


@pytest.fixture(scope="module")
def aws(real_apply):
    return RoleClients(real_apply.environment)


def test_the_prod_run_assumed_prods_role_and_created_in_its_account(applied, real_apply):
    assert applied.run["aws_role_arn"] == PROD_ROLE
    assert applied.run["outputs"]["app_policy_arn"].startswith("arn:aws:iam::111111111111:policy/")
    assert ":111111111111:alarm:" in applied.run["outputs"]["cost_alarm_arn"]
    default_account_policies = real_apply.environment.client("iam").list_policies(Scope="Local")["Policies"]
    assert f"bucketwise-{applied.bucket_name}" not in [
        policy["PolicyName"] for policy in default_account_policies
    ]


def test_the_run_applied_with_the_locked_provider_and_recorded_it(applied):
    assert applied.run["provider_versions"] == locked_providers()
    assert applied.run["provider_versions"]["registry.terraform.io/hashicorp/aws"] == "5.100.0"
    assert {"run.planned", "run.applied", "run.succeeded"} <= set(applied.audit_actions)


def test_the_run_recorded_the_state_lock_its_terraform_held(applied, aws):
    """The lock object is gone after a clean apply; the run still names the last lock it took."""
    lock_key = applied.state_key + ".tflock"
    assert applied.run["state_lock_path"] == f"s3://{aws.state_bucket}/{lock_key}"
    assert len(applied.run["state_lock_id"]) == 36  # Terraform's lock IDs are UUIDs
    assert "Contents" not in aws.client("s3").list_objects_v2(Bucket=aws.state_bucket, Prefix=lock_key)


def test_state_lives_in_s3_under_the_requests_key_with_every_resource(applied, aws):
    body = aws.client("s3").get_object(Bucket=aws.state_bucket, Key=applied.state_key)["Body"].read()
    addresses = {
        f"{resource.get('module', '') + '.' if resource.get('module') else ''}"
        f"{resource['type']}.{resource['name']}"
        for resource in json.loads(body)["resources"]
        if resource["mode"] == "managed"
    }

    assert addresses == {
        "aws_iam_policy.app",
        "module.bucket.aws_s3_bucket.this",
        "module.bucket.aws_s3_bucket_ownership_controls.this",
        "module.bucket.aws_s3_bucket_public_access_block.this",
        "module.bucket.aws_s3_bucket_versioning.this",
        "module.bucket.aws_s3_bucket_server_side_encryption_configuration.this",
        "module.bucket.aws_s3_bucket_logging.this",
        "module.bucket.aws_s3_bucket_lifecycle_configuration.this",
        "module.bucket.aws_s3_bucket_policy.tls_only",
        "module.bucket.aws_cloudwatch_metric_alarm.cost",
    }
    assert applied.run["outputs"]["bucket_arn"] == f"arn:aws:s3:::{applied.bucket_name}"


def test_default_encryption_is_sse_kms_with_the_key_behind_the_contracts_alias(applied, aws):
    variables = applied.variables
    assert variables["sse_algorithm"] == "aws:kms"
    key_arn = aws.client("kms").describe_key(KeyId=variables["kms_key_alias"])["KeyMetadata"]["Arn"]

    rules = aws.client("s3").get_bucket_encryption(Bucket=applied.bucket_name)[
        "ServerSideEncryptionConfiguration"
    ]["Rules"]

    assert rules == [
        {
            "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key_arn},
            "BucketKeyEnabled": True,
        }
    ]


def test_public_access_is_blocked_in_all_four_settings(applied, aws):
    block = aws.client("s3").get_public_access_block(Bucket=applied.bucket_name)[
        "PublicAccessBlockConfiguration"
    ]

    assert applied.contract["spec"]["publicAccess"] == "blocked"
    assert block == {
        "BlockPublicAcls": True,
        "IgnorePublicAcls": True,
        "BlockPublicPolicy": True,
        "RestrictPublicBuckets": True,
    }


def test_objects_belong_to_the_bucket_owner(applied, aws):
    controls = aws.client("s3").get_bucket_ownership_controls(Bucket=applied.bucket_name)["OwnershipControls"]

    assert controls["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]


def test_the_bucket_policy_denies_every_request_without_tls(applied, aws):
    policy = json.loads(aws.client("s3").get_bucket_policy(Bucket=applied.bucket_name)["Policy"])
    arn = f"arn:aws:s3:::{applied.bucket_name}"

    assert policy["Statement"] == [
        {
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [arn, f"{arn}/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }
    ]


def test_versioning_follows_the_contract(applied, aws):
    status = aws.client("s3").get_bucket_versioning(Bucket=applied.bucket_name).get("Status")

    assert applied.variables["versioning_enabled"] is True
    assert status == "Enabled"


def test_lifecycle_rules_follow_the_contracts_retention(applied, aws):
    rules = {
        rule["ID"]: rule
        for rule in aws.client("s3").get_bucket_lifecycle_configuration(Bucket=applied.bucket_name)["Rules"]
    }
    variables = applied.variables

    assert rules["abort-incomplete-multipart-uploads"]["AbortIncompleteMultipartUpload"] == {
        "DaysAfterInitiation": 7
    }
    retention = rules["retention"]
    assert retention["Status"] == "Enabled"
    assert (
        [{"days": t["Days"], "storage_class": t["StorageClass"]} for t in retention["Transitions"]]
        == variables["lifecycle_transitions"]
        == [{"days": 30, "storage_class": "STANDARD_IA"}]
    )
    assert retention["Expiration"] == {"Days": variables["expiration_days"]} == {"Days": 400}
    assert (
        retention["NoncurrentVersionExpiration"]["NoncurrentDays"]
        == variables["noncurrent_version_expiration_days"]
    )


def test_access_logs_go_to_the_platform_log_bucket_under_the_buckets_prefix(applied, aws):
    logging = aws.client("s3").get_bucket_logging(Bucket=applied.bucket_name)["LoggingEnabled"]
    wanted = applied.contract["spec"]["accessLogging"]

    assert logging == {"TargetBucket": wanted["targetBucket"], "TargetPrefix": wanted["targetPrefix"]}


def test_the_bucket_carries_the_contracts_tags(applied, aws):
    tag_set = aws.client("s3").get_bucket_tagging(Bucket=applied.bucket_name)["TagSet"]
    tags = {tag["Key"]: tag["Value"] for tag in tag_set}

    assert tags == applied.variables["tags"]
    assert tags["costCenter"] == applied.contract["spec"]["tags"]["costCenter"]
    assert (tags["requestId"], tags["environment"], tags["managedBy"]) == (
        applied.request_id,
        "prod",
        "bucketwise",
    )


def test_the_cost_alarm_sums_the_buckets_size_over_its_storage_types(applied, aws):
    name = f"s3-cost-alert-{applied.bucket_name}"
    cloudwatch = aws.client("cloudwatch")
    [alarm] = cloudwatch.describe_alarms(AlarmNames=[name])["MetricAlarms"]
    variables = applied.variables

    assert alarm["Threshold"] == variables["cost_alert_gb"] * 1024**3
    assert (alarm["ComparisonOperator"], alarm["TreatMissingData"]) == (
        "GreaterThanThreshold",
        "notBreaching",
    )
    queried = {
        query["MetricStat"]["Metric"]["Dimensions"][1]["Value"]
        if query["MetricStat"]["Metric"]["Dimensions"][0]["Name"] == "BucketName"
        else query["MetricStat"]["Metric"]["Dimensions"][0]["Value"]
        for query in alarm["Metrics"]
        if "MetricStat" in query
    }
    assert queried == set(variables["cost_alarm_storage_types"])
    assert [query["Expression"] for query in alarm["Metrics"] if "Expression" in query] == ["SUM(METRICS())"]
    assert applied.request_id in alarm["AlarmDescription"]
    tags = cloudwatch.list_tags_for_resource(ResourceARN=alarm["AlarmArn"])["Tags"]
    assert {tag["Key"]: tag["Value"] for tag in tags} == variables["tags"]


def test_the_application_policy_is_the_contracts_least_privilege_document(applied, aws):
    iam = aws.client("iam")
    arn = applied.run["outputs"]["app_policy_arn"]
    policy = iam.get_policy(PolicyArn=arn)["Policy"]
    document = iam.get_policy_version(PolicyArn=arn, VersionId=policy["DefaultVersionId"])["PolicyVersion"][
        "Document"
    ]
    if isinstance(document, str):
        from urllib.parse import unquote

        document = json.loads(unquote(document))

    assert policy["PolicyName"] == f"bucketwise-{applied.bucket_name}"
    assert document == json.loads(applied.variables["app_policy_json"])
    assert {
        tag["Key"]: tag["Value"] for tag in iam.list_policy_tags(PolicyArn=arn)["Tags"]
    } == applied.variables["tags"]


def test_init_refuses_a_provider_whose_checksum_is_not_the_locked_one(provider_mirror, tmp_path):
    """-lockfile=readonly holds: a lock whose checksum the mirror's package does not match stops init
    (a locked provider cannot be swapped under a run, and init never rewrites the lock)."""
    workspace = prepare_workspace(
        tmp_path / "run",
        stack_dir=REAL_STACK,
        variables={},
        backend=BackendTarget(
            key="envs/dev/s3/S3-9999/terraform.tfstate", local_state_dir=tmp_path / "state"
        ),
        plugin_cache_dir=tmp_path / "cache",
        provider_mirror=str(provider_mirror),
    )
    lock_file = workspace.config_dir / ".terraform.lock.hcl"
    tampered = re.sub(
        r'"h1:[^"]+"', '"h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="', lock_file.read_text()
    )
    lock_file.write_text(tampered)

    result = run_command(
        [terraform_binary(), "init", "-input=false", "-no-color", "-lockfile=readonly"],
        cwd=workspace.config_dir,
        env={**os.environ, "TF_CLI_CONFIG_FILE": str(workspace.cli_config_file)},
        timeout_seconds=300,
        grace_seconds=5,
    )

    assert result.exit_code != 0
    assert "checksum" in (result.stdout + result.stderr).lower()
    assert lock_file.read_text() == tampered
