"""With the REAL terraform/stacks/s3-request applied by the runner (real hashicorp/aws provider on moto
server): the read-back of the fresh bucket is clean (so `compliance.expected` agrees with Terraform), every
property broken with boto3 is named, and a remediation run through the runner brings it back to compliant."""

import json

import pytest

from compliance.checking import check_buckets
from compliance.models import ComplianceState, RunVerification
from compliance.remediation import start_remediation
from compliance.verification import verify_run
from requests_app.models import Approval, CatalogEntry, Decision
from runner import execution
from runner.models import RunStatus
from tests.contract.cases import request_input
from tests.support.real_terraform import approve_and_run, ensure_platform_resources, variables_for_input

pytestmark = [
    pytest.mark.slow,
    pytest.mark.real_provider,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PROD_INPUT = request_input(
    environment="prod",
    application="driftcheck",
    storageClass="standard-ia",
    transitionDays=30,
    retentionType="time-bounded",
    expirationDays=400,
    retentionRationale="Receipts are kept 400 days for disputes",
    corsEnabled=True,
    corsAllowedOrigins=["https://app.example.com"],
    tags={"dataClassification": "internal"},
)


def break_everything(aws: dict, bucket: str) -> set[str]:
    """Change each property behind Terraform's back; returns the fields the check must name."""
    s3 = aws["s3"]
    s3.put_bucket_encryption(
        Bucket=bucket,
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
        },
    )
    s3.put_public_access_block(
        Bucket=bucket,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": False,
        },
    )
    s3.put_bucket_ownership_controls(
        Bucket=bucket, OwnershipControls={"Rules": [{"ObjectOwnership": "ObjectWriter"}]}
    )
    s3.delete_bucket_policy(Bucket=bucket)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Suspended"})
    rules = s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]
    for rule in rules:
        if "Expiration" in rule:
            rule["Expiration"] = {"Days": 30}
    s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": rules})
    logging = s3.get_bucket_logging(Bucket=bucket)["LoggingEnabled"]
    s3.put_bucket_logging(
        Bucket=bucket,
        BucketLoggingStatus={
            "LoggingEnabled": {"TargetBucket": logging["TargetBucket"], "TargetPrefix": "elsewhere/"}
        },
    )
    tags = {t["Key"]: t["Value"] for t in s3.get_bucket_tagging(Bucket=bucket)["TagSet"]}
    s3.put_bucket_tagging(
        Bucket=bucket,
        Tagging={
            "TagSet": [
                {"Key": k, "Value": v} for k, v in {**tags, "owner": "someone-else", "shadow": "it"}.items()
            ]
        },
    )
    s3.put_bucket_cors(
        Bucket=bucket,
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
    )
    alarm = aws["cloudwatch"].describe_alarms(AlarmNames=[f"s3-cost-alert-{bucket}"])["MetricAlarms"][0]
    aws["cloudwatch"].put_metric_alarm(
        **{
            key: alarm[key]
            for key in ("AlarmName", "ComparisonOperator", "EvaluationPeriods", "TreatMissingData", "Metrics")
        },
        Threshold=1e15,
    )
    policy_arn = f"arn:aws:iam::123456789012:policy/bucketwise-{bucket}"
    aws["iam"].create_policy_version(
        PolicyArn=policy_arn,
        SetAsDefault=True,
        PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
        ),
    )
    return {
        "encryption.algorithm",
        "encryption.kmsKey",
        "encryption.bucketKey",
        "publicAccessBlock.restrictPublicBuckets",
        "objectOwnership",
        "bucketPolicy.tlsOnly",
        "versioning",
        "lifecycle.expirationDays",
        "logging.targetPrefix",
        "tags.owner",
        "tags.shadow",
        "cors",
        "costAlarm.thresholdBytes",
        "iamPolicy.document",
    }


def test_apply_break_every_property_and_remediate_back_to_compliant(real_runner, approver):
    aws = {name: real_runner.client(name) for name in ("s3", "kms", "iam", "cloudwatch")}
    ensure_platform_resources(real_runner, variables_for_input(PROD_INPUT))
    request, run = approve_and_run(PROD_INPUT)
    assert run.status == RunStatus.SUCCEEDED, run.error_summary + run.log[-3000:]
    # The vote that approved it (the factory approves through the status machine only).
    Approval.objects.create(
        request=request,
        approver=approver,
        decision=Decision.APPROVE,
        comment="ok",
        contract_hash=request.contract_hash,
    )

    assert verify_run(run.pk) == ComplianceState.COMPLIANT  # what Terraform made is what the contract says
    assert RunVerification.objects.get(run=run).verified is True

    entry = CatalogEntry.objects.select_related("request").get(request=request)
    expected_fields = break_everything(aws, entry.bucket_name)
    result = check_buckets([entry])[0]
    assert result.state == ComplianceState.DRIFTED
    assert {d.field for d in result.differences} == expected_fields

    remediation = start_remediation(entry, actor=approver)
    assert execution.execute_run(remediation.pk) == RunStatus.SUCCEEDED
    assert verify_run(remediation.pk) == ComplianceState.COMPLIANT, RunVerification.objects.get(
        run=remediation
    ).findings
    entry.refresh_from_db()
    assert entry.compliance.state == ComplianceState.COMPLIANT and entry.compliance.open_findings == 0
