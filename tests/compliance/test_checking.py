"""The read-back against buckets configured with boto3 on moto's server: every property broken on its own
is named by the check; clearing and re-opening are recorded and audited; unreadable is never compliant."""

import json

import pytest

from compliance.checking import Readers, check_buckets
from compliance.models import BucketCompliance, ComplianceState, Finding, FindingStatus
from core.models import AuditEntry

pytestmark = pytest.mark.django_db

STAGING = dict(
    environment="staging",
    purposeType="backups",
    storageClass=None,
    versioning=None,
    retentionType="compliance-driven",
    expirationDays=2555,
    retentionRationale="Seven years of backups for the finance audit",
    corsEnabled=True,
    corsAllowedOrigins=["https://app.example.com"],
    tags={"dataClassification": "internal"},
)


def check(entry):
    return check_buckets([entry])[0]


def test_a_bucket_applied_as_the_module_does_is_compliant(make_bucket):
    entry = make_bucket(**STAGING)
    result = check(entry)
    assert (result.state, result.differences) == (ComplianceState.COMPLIANT, [])
    assert BucketCompliance.objects.get(entry=entry).state == ComplianceState.COMPLIANT


def _break_policy_to_allow_http(aws, bucket):
    aws["s3"].put_bucket_policy(
        Bucket=bucket,
        Policy=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "Other",
                        "Effect": "Allow",
                        "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
                        "Action": "s3:GetObject",
                        "Resource": f"arn:aws:s3:::{bucket}/*",
                    }
                ],
            }
        ),
    )


def _key_arn(aws, description="someone else's key"):
    return aws["kms"].create_key(Description=description)["KeyMetadata"]["Arn"]


# (what is broken, how, the fields the check must name)
BREAKAGES = [
    (
        "SSE-S3 instead of SSE-KMS",
        lambda aws, b: aws["s3"].put_bucket_encryption(
            Bucket=b,
            ServerSideEncryptionConfiguration={
                "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
            },
        ),
        {"encryption.algorithm", "encryption.kmsKey", "encryption.bucketKey"},
    ),
    (
        "another KMS key",
        lambda aws, b: aws["s3"].put_bucket_encryption(
            Bucket=b,
            ServerSideEncryptionConfiguration={
                "Rules": [
                    {
                        "ApplyServerSideEncryptionByDefault": {
                            "SSEAlgorithm": "aws:kms",
                            "KMSMasterKeyID": _key_arn(aws),
                        },
                        "BucketKeyEnabled": True,
                    }
                ]
            },
        ),
        {"encryption.kmsKey"},
    ),
    (
        "bucket key off",
        lambda aws, b: aws["s3"].put_bucket_encryption(
            Bucket=b,
            ServerSideEncryptionConfiguration={
                "Rules": [
                    {
                        "ApplyServerSideEncryptionByDefault": {
                            "SSEAlgorithm": "aws:kms",
                            "KMSMasterKeyID": aws["kms"].describe_key(KeyId="alias/goldenpath-staging-s3")[
                                "KeyMetadata"
                            ]["Arn"],
                        },
                        "BucketKeyEnabled": False,
                    }
                ]
            },
        ),
        {"encryption.bucketKey"},
    ),
    (
        "public access block removed",
        lambda aws, b: aws["s3"].delete_public_access_block(Bucket=b),
        {
            "publicAccessBlock.blockPublicAcls",
            "publicAccessBlock.ignorePublicAcls",
            "publicAccessBlock.blockPublicPolicy",
            "publicAccessBlock.restrictPublicBuckets",
        },
    ),
    (
        "one public access flag off",
        lambda aws, b: aws["s3"].put_public_access_block(
            Bucket=b,
            PublicAccessBlockConfiguration={
                "BlockPublicAcls": True,
                "IgnorePublicAcls": True,
                "BlockPublicPolicy": True,
                "RestrictPublicBuckets": False,
            },
        ),
        {"publicAccessBlock.restrictPublicBuckets"},
    ),
    (
        "ACLs back on",
        lambda aws, b: aws["s3"].put_bucket_ownership_controls(
            Bucket=b, OwnershipControls={"Rules": [{"ObjectOwnership": "ObjectWriter"}]}
        ),
        {"objectOwnership"},
    ),
    ("TLS-only statement replaced", _break_policy_to_allow_http, {"bucketPolicy.tlsOnly"}),
    (
        "bucket policy deleted",
        lambda aws, b: aws["s3"].delete_bucket_policy(Bucket=b),
        {"bucketPolicy.tlsOnly"},
    ),
    (
        "versioning suspended",
        lambda aws, b: aws["s3"].put_bucket_versioning(
            Bucket=b, VersioningConfiguration={"Status": "Suspended"}
        ),
        {"versioning"},
    ),
    (
        "lifecycle deleted",
        lambda aws, b: aws["s3"].delete_bucket_lifecycle(Bucket=b),
        {
            "lifecycle.rules",
            "lifecycle.abortIncompleteMultipartUploadDays",
            "lifecycle.expirationDays",
            "lifecycle.transitions",
            "lifecycle.noncurrentVersionExpirationDays",
        },
    ),
    (
        "expiration shortened, multipart abort longer",
        lambda aws, b: aws["s3"].put_bucket_lifecycle_configuration(
            Bucket=b,
            LifecycleConfiguration={
                "Rules": [
                    {
                        "ID": "abort-incomplete-multipart-uploads",
                        "Status": "Enabled",
                        "Filter": {},
                        "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 30},
                    },
                    {
                        "ID": "retention",
                        "Status": "Enabled",
                        "Filter": {},
                        "Expiration": {"Days": 30},
                        "NoncurrentVersionExpiration": {"NoncurrentDays": 90},
                        "Transitions": [{"Days": 10, "StorageClass": "GLACIER"}],
                    },
                ]
            },
        ),
        {
            "lifecycle.abortIncompleteMultipartUploadDays",
            "lifecycle.expirationDays",
            "lifecycle.transitions",
            "lifecycle.noncurrentVersionExpirationDays",
        },
    ),
    (
        "access logging off",
        lambda aws, b: aws["s3"].put_bucket_logging(Bucket=b, BucketLoggingStatus={}),
        {"logging.targetBucket", "logging.targetPrefix"},
    ),
    (
        "access logs elsewhere",
        lambda aws, b: aws["s3"].put_bucket_logging(
            Bucket=b,
            BucketLoggingStatus={
                "LoggingEnabled": {"TargetBucket": "goldenpath-staging-logs", "TargetPrefix": "other/"}
            },
        ),
        {"logging.targetPrefix"},
    ),
    (
        "tags edited, removed and added",
        lambda aws, b: aws["s3"].put_bucket_tagging(
            Bucket=b,
            Tagging={
                "TagSet": [
                    {"Key": k, "Value": v}
                    for k, v in {
                        **{
                            t["Key"]: t["Value"]
                            for t in aws["s3"].get_bucket_tagging(Bucket=b)["TagSet"]
                            if t["Key"] not in ("dataClassification",)
                        },
                        "owner": "someone-else",
                        "shadow": "it",
                    }.items()
                ]
            },
        ),
        {"tags.owner", "tags.dataClassification", "tags.shadow"},
    ),
    (
        "CORS opened to everyone",
        lambda aws, b: aws["s3"].put_bucket_cors(
            Bucket=b,
            CORSConfiguration={
                "CORSRules": [
                    {
                        "AllowedOrigins": ["*"],
                        "AllowedMethods": ["GET", "HEAD", "PUT"],
                        "AllowedHeaders": ["*"],
                        "ExposeHeaders": ["ETag"],
                        "MaxAgeSeconds": 3000,
                    }
                ]
            },
        ),
        {"cors"},
    ),
    ("CORS deleted", lambda aws, b: aws["s3"].delete_bucket_cors(Bucket=b), {"cors"}),
    (
        "cost alarm deleted",
        lambda aws, b: aws["cloudwatch"].delete_alarms(AlarmNames=[f"s3-cost-alert-{b}"]),
        {"costAlarm.exists"},
    ),
    (
        "cost alarm threshold raised",
        lambda aws, b: aws["cloudwatch"].put_metric_alarm(**{**_alarm_of(aws, b), "Threshold": 1e15}),
        {"costAlarm.thresholdBytes"},
    ),
    (
        "cost alarm watches less",
        lambda aws, b: aws["cloudwatch"].put_metric_alarm(
            **{**_alarm_of(aws, b), "Metrics": _alarm_of(aws, b)["Metrics"][1:]}
        ),
        {"costAlarm.metrics"},
    ),
    ("IAM policy widened", lambda aws, b: _widen_policy(aws, b), {"iamPolicy.document"}),
    (
        "IAM policy deleted",
        lambda aws, b: aws["iam"].delete_policy(PolicyArn=f"arn:aws:iam::123456789012:policy/bucketwise-{b}"),
        {"iamPolicy.exists"},
    ),
]


def _alarm_of(aws, bucket) -> dict:
    alarm = aws["cloudwatch"].describe_alarms(AlarmNames=[f"s3-cost-alert-{bucket}"])["MetricAlarms"][0]
    keep = (
        "AlarmName",
        "ComparisonOperator",
        "EvaluationPeriods",
        "Threshold",
        "TreatMissingData",
        "Metrics",
    )
    return {key: alarm[key] for key in keep}


def _widen_policy(aws, bucket):
    arn = f"arn:aws:iam::123456789012:policy/bucketwise-{bucket}"
    aws["iam"].create_policy_version(
        PolicyArn=arn,
        SetAsDefault=True,
        PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
        ),
    )


@pytest.mark.parametrize("what, breaks, fields", BREAKAGES, ids=[b[0] for b in BREAKAGES])
def test_each_broken_property_is_named(make_bucket, aws, what, breaks, fields):
    entry = make_bucket(**STAGING)
    breaks(aws, entry.bucket_name)
    result = check(entry)
    assert result.state == ComplianceState.DRIFTED
    assert {d.field for d in result.differences} == fields
    assert (
        set(Finding.objects.filter(entry=entry, status=FindingStatus.OPEN).values_list("field", flat=True))
        == fields
    )


def test_findings_keep_first_seen_move_last_seen_clear_and_are_audited(make_bucket, aws):
    entry = make_bucket()
    aws["s3"].delete_public_access_block(Bucket=entry.bucket_name)
    check(entry)
    first = Finding.objects.get(entry=entry, field="publicAccessBlock.blockPublicAcls")
    check(entry)
    again = Finding.objects.get(pk=first.pk)
    assert (again.first_seen_at, again.status) == (first.first_seen_at, FindingStatus.OPEN)
    assert again.last_seen_at > first.last_seen_at
    assert Finding.objects.filter(entry=entry).count() == 4  # one open finding per field, not one per check
    blocked = dict.fromkeys(
        ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"), True
    )
    aws["s3"].put_public_access_block(Bucket=entry.bucket_name, PublicAccessBlockConfiguration=blocked)
    assert check(entry).state == ComplianceState.COMPLIANT
    cleared = Finding.objects.get(pk=first.pk)
    assert cleared.status == FindingStatus.CLEARED and cleared.cleared_at is not None
    actions = list(
        AuditEntry.objects.filter(
            request_id=entry.request.request_id, action__startswith="compliance."
        ).values_list("action", "detail")
    )
    assert [a for a, d in actions if a == "compliance.finding_opened"] == ["compliance.finding_opened"] * 4
    assert [a for a, d in actions if a == "compliance.finding_cleared"] == ["compliance.finding_cleared"] * 4
    assert [(d["from"], d["to"]) for a, d in actions if a == "compliance.state"] == [
        (None, "drifted"),
        ("drifted", "compliant"),
    ]
    aws["s3"].delete_public_access_block(
        Bucket=entry.bucket_name
    )  # drift again: a new finding, not the old one
    check(entry)
    assert Finding.objects.filter(entry=entry, field="publicAccessBlock.blockPublicAcls").count() == 2


def test_a_deleted_bucket_is_unknown_with_the_reason_and_keeps_its_findings(make_bucket, aws):
    entry = make_bucket()
    aws["s3"].put_bucket_versioning(Bucket=entry.bucket_name, VersioningConfiguration={"Status": "Suspended"})
    check(entry)
    for name in [entry.bucket_name]:
        aws["s3"].delete_bucket(Bucket=name)
    result = check(entry)
    assert result.state == ComplianceState.UNKNOWN
    assert "does not exist" in result.reason
    compliance = BucketCompliance.objects.get(entry=entry)
    assert (compliance.state, compliance.reason) == (ComplianceState.UNKNOWN, result.reason)
    assert Finding.objects.get(entry=entry, field="versioning").status == FindingStatus.OPEN


def test_an_endpoint_that_is_down_makes_unknown_never_compliant(make_bucket, settings):
    entry = make_bucket()
    assert check(entry).state == ComplianceState.COMPLIANT
    settings.AWS_ENDPOINT_URL = "http://127.0.0.1:9"  # discard port: nothing listens, connection refused
    settings.COMPLIANCE_AWS_TIMEOUT_SECONDS = 2
    result = check(entry)
    assert result.state == ComplianceState.UNKNOWN
    assert "did not answer" in result.reason
    assert BucketCompliance.objects.get(entry=entry).compliant_since is None


def test_a_contract_that_does_not_load_is_unknown(make_bucket):
    entry = make_bucket()
    request = entry.request
    request.contract["spec"]["versioning"] = "sometimes"
    request.save(update_fields=["contract"])
    entry.refresh_from_db()
    result = check(entry)
    assert result.state == ComplianceState.UNKNOWN and "does not load" in result.reason


def test_aws_calls_per_bucket_are_bounded_and_shared_reads_happen_once_per_batch(make_bucket):
    entries = [make_bucket(application=f"app{n}x", **STAGING) for n in range(3)]
    readers = Readers()
    results = check_buckets(entries, readers=readers)
    assert [r.state for r in results] == [ComplianceState.COMPLIANT] * 3
    # 9 S3 reads + 2 IAM reads each; the first also pays the batch's account (STS) and KMS alias reads,
    # and the batch reads all three cost alarms in one CloudWatch call before the first bucket.
    assert [r.aws_calls for r in results] == [11 + 2, 11, 11]
    assert readers.calls == 3 * 11 + 2 + 1


@pytest.fixture
def moto_with_iam_auth(tmp_path):
    """A second moto server that enforces IAM (INITIAL_NO_AUTH_ACTION_COUNT): its first three requests are
    free (create the bucket, a user, the user's key), then every request needs a permitted identity."""
    import os
    import socket
    import subprocess
    import sys
    import time

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        env={**os.environ, "INITIAL_NO_AUTH_ACTION_COUNT": "3"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            break
        except OSError:
            if time.monotonic() > deadline:
                process.kill()
                raise
            time.sleep(0.1)
    yield f"http://127.0.0.1:{port}"
    process.terminate()
    process.wait(timeout=10)


def test_access_denied_is_unknown_with_the_reason(make_bucket, moto_with_iam_auth, settings, monkeypatch):
    import boto3

    entry = make_bucket()  # the catalog side; its AWS side is re-created on the IAM-enforcing server
    admin = {
        "endpoint_url": moto_with_iam_auth,
        "region_name": settings.AWS_REGION,
        "aws_access_key_id": "AKIAIOSFODNN7EXAMPLE",
        "aws_secret_access_key": "admin",
    }
    boto3.client("s3", **admin).create_bucket(Bucket=entry.bucket_name)
    iam = boto3.client("iam", **admin)
    iam.create_user(UserName="read-back")
    key = iam.create_access_key(UserName="read-back")["AccessKey"]  # no policy: allowed nothing
    settings.AWS_ENDPOINT_URL = moto_with_iam_auth
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", key["AccessKeyId"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", key["SecretAccessKey"])
    result = check(entry)
    assert result.state == ComplianceState.UNKNOWN
    assert result.reason == "Access denied reading the default encryption (AccessDenied)."
    assert BucketCompliance.objects.get(entry=entry).state == ComplianceState.UNKNOWN


def test_each_environment_is_read_as_its_role(aws, approver, settings, local_aws):
    """AWS_ROLE_ARN_<ENV>: prod's buckets, keys, alarms and policies live in prod's account (moto keeps
    IAM, KMS and CloudWatch per account); the read-back acts as that role, as prod's runs do."""
    import boto3

    from requests_app.contract import load_contract, terraform_variables
    from requests_app.platform_policy import current_policy
    from tests.compliance import module_twin
    from tests.contract.cases import request_input
    from tests.runner.factories import saved_request
    from tests.support.compliance import activate

    prod_role = "arn:aws:iam::222222222222:role/bucketwise-prod"
    assumed = aws["sts"].assume_role(RoleArn=prod_role, RoleSessionName="test")["Credentials"]
    as_prod = {
        name: boto3.client(
            name,
            region_name=settings.AWS_REGION,
            endpoint_url=local_aws,
            aws_access_key_id=assumed["AccessKeyId"],
            aws_secret_access_key=assumed["SecretAccessKey"],
            aws_session_token=assumed["SessionToken"],
        )
        for name in ("s3", "kms", "iam", "cloudwatch", "sts")
    }
    entry = activate(saved_request(request_input(environment="prod", application="roleapp")), approver)
    variables = terraform_variables(load_contract(entry.request.contract), current_policy())
    module_twin.ensure_platform_resources(as_prod, variables)
    module_twin.apply_bucket(as_prod, variables)  # made as prod's role, in prod's account

    settings.AWS_ROLE_ARNS = {**settings.AWS_ROLE_ARNS, "prod": prod_role}
    assert check(entry).state == ComplianceState.COMPLIANT
    settings.AWS_ROLE_ARNS = {**settings.AWS_ROLE_ARNS, "prod": ""}
    own_account = check(entry)  # the process's own account holds neither the policy nor the alarm
    assert own_account.state == ComplianceState.DRIFTED
    assert {"iamPolicy.exists", "costAlarm.exists"} <= {d.field for d in own_account.differences}
