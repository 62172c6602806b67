"""What terraform/modules/s3-bucket + stacks/s3-request create, done with boto3 from the same Terraform
variables, for tests and the bench that need many configured buckets fast (an apply on moto takes a
minute per bucket). It is written from the module's resources, not from compliance.expected, so a check
of a bucket made here tests the expectation against an independent reading of the module; the real
provider test (test_real_provider.py) is the proof against Terraform itself."""

import json

BYTES_PER_GIB = 1024**3


def ensure_platform_resources(clients, variables: dict) -> None:
    """The KMS alias and access-log bucket the platform provides per environment (not part of the stack)."""
    s3, kms = clients["s3"], clients["kms"]
    alias = variables["kms_key_alias"]
    if alias:
        aliases = {a["AliasName"] for a in kms.list_aliases()["Aliases"]}
        if alias not in aliases:
            key = kms.create_key(Description=f"platform key {alias}")["KeyMetadata"]
            kms.create_alias(AliasName=alias, TargetKeyId=key["KeyId"])
    log_bucket = variables["access_log_bucket"]
    if log_bucket:
        try:
            s3.create_bucket(Bucket=log_bucket)
        except s3.exceptions.BucketAlreadyOwnedByYou:
            return
        s3.put_bucket_policy(
            Bucket=log_bucket,
            Policy=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "S3ServerAccessLogs",
                            "Effect": "Allow",
                            "Principal": {"Service": "logging.s3.amazonaws.com"},
                            "Action": "s3:PutObject",
                            "Resource": f"arn:aws:s3:::{log_bucket}/*",
                        }
                    ],
                }
            ),
        )


def apply_bucket(clients, variables: dict) -> None:
    s3 = clients["s3"]
    bucket = variables["bucket_name"]
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_tagging(
        Bucket=bucket, Tagging={"TagSet": [{"Key": k, "Value": v} for k, v in variables["tags"].items()]}
    )
    s3.put_bucket_ownership_controls(
        Bucket=bucket, OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    )
    blocked = variables["public_access_blocked"]
    s3.put_public_access_block(
        Bucket=bucket,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": blocked,
            "IgnorePublicAcls": blocked,
            "BlockPublicPolicy": blocked,
            "RestrictPublicBuckets": blocked,
        },
    )
    s3.put_bucket_versioning(
        Bucket=bucket,
        VersioningConfiguration={"Status": "Enabled" if variables["versioning_enabled"] else "Suspended"},
    )
    default = {"SSEAlgorithm": variables["sse_algorithm"]}
    if variables["kms_key_alias"]:
        default["KMSMasterKeyID"] = clients["kms"].describe_key(KeyId=variables["kms_key_alias"])[
            "KeyMetadata"
        ]["Arn"]
    s3.put_bucket_encryption(
        Bucket=bucket,
        ServerSideEncryptionConfiguration={
            "Rules": [
                {
                    "ApplyServerSideEncryptionByDefault": default,
                    "BucketKeyEnabled": variables["sse_algorithm"] == "aws:kms",
                }
            ]
        },
    )
    if variables["access_log_bucket"]:
        s3.put_bucket_logging(
            Bucket=bucket,
            BucketLoggingStatus={
                "LoggingEnabled": {
                    "TargetBucket": variables["access_log_bucket"],
                    "TargetPrefix": variables["access_log_prefix"],
                }
            },
        )
    s3.put_bucket_lifecycle_configuration(
        Bucket=bucket, LifecycleConfiguration={"Rules": _lifecycle_rules(variables)}
    )
    arn = f"arn:aws:s3:::{bucket}"
    s3.put_bucket_policy(
        Bucket=bucket,
        Policy=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "DenyInsecureTransport",
                        "Effect": "Deny",
                        "Principal": "*",
                        "Action": "s3:*",
                        "Resource": [arn, f"{arn}/*"],
                        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                    }
                ],
            }
        ),
    )
    if variables["cors_allowed_origins"]:
        s3.put_bucket_cors(
            Bucket=bucket,
            CORSConfiguration={
                "CORSRules": [
                    {
                        "AllowedOrigins": variables["cors_allowed_origins"],
                        "AllowedMethods": ["GET", "HEAD", "PUT"],
                        "AllowedHeaders": ["*"],
                        "ExposeHeaders": ["ETag"],
                        "MaxAgeSeconds": 3000,
                    }
                ]
            },
        )
    clients["cloudwatch"].put_metric_alarm(**cost_alarm(variables))
    clients["iam"].create_policy(
        PolicyName=f"bucketwise-{bucket}", PolicyDocument=variables["app_policy_json"]
    )


def _lifecycle_rules(variables: dict) -> list[dict]:
    rules = [
        {
            "ID": "abort-incomplete-multipart-uploads",
            "Status": "Enabled",
            "Filter": {},
            "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7},
        }
    ]
    retention = {"ID": "retention", "Status": "Enabled", "Filter": {}}
    if variables["lifecycle_transitions"]:
        retention["Transitions"] = [
            {"Days": t["days"], "StorageClass": t["storage_class"]}
            for t in variables["lifecycle_transitions"]
        ]
    if variables["expiration_days"] is not None:
        retention["Expiration"] = {"Days": variables["expiration_days"]}
    if variables["versioning_enabled"] and variables["noncurrent_version_expiration_days"] is not None:
        retention["NoncurrentVersionExpiration"] = {
            "NoncurrentDays": variables["noncurrent_version_expiration_days"]
        }
    return rules + ([retention] if len(retention) > 3 else [])


def cost_alarm(variables: dict) -> dict:
    bucket = variables["bucket_name"]
    metrics = [
        {
            "Id": f"storage{index}",
            "ReturnData": False,
            "MetricStat": {
                "Metric": {
                    "Namespace": "AWS/S3",
                    "MetricName": "BucketSizeBytes",
                    "Dimensions": [
                        {"Name": "BucketName", "Value": bucket},
                        {"Name": "StorageType", "Value": storage_type},
                    ],
                },
                "Period": 86400,
                "Stat": "Average",
            },
        }
        for index, storage_type in enumerate(variables["cost_alarm_storage_types"])
    ]
    metrics.append(
        {"Id": "total_bytes", "Expression": "SUM(METRICS())", "ReturnData": True, "Label": "total"}
    )
    return {
        "AlarmName": f"s3-cost-alert-{bucket}",
        "ComparisonOperator": "GreaterThanThreshold",
        "EvaluationPeriods": 1,
        "Threshold": float(variables["cost_alert_gb"] * BYTES_PER_GIB),
        "TreatMissingData": "notBreaching",
        "Metrics": metrics,
    }
