"""Reading a bucket's live configuration with boto3, in the fields of ``compliance.expected``.

Per bucket the read costs a fixed number of calls (nine S3 reads, two IAM reads, and one KMS
lookup only when the bucket names its key other than by ARN); what many buckets share is read
once per batch: the account ID (STS), the key behind each alias (KMS) and the cost alarms
(CloudWatch, up to 100 per call). A bucket that cannot be read — deleted, access denied, the
endpoint down — raises :class:`Unreadable` with the reason; a configuration that is simply absent
(no lifecycle, no tags, ...) is read as absent and compared like any other value.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

from compliance.expected import alarm_metric, app_policy_name, cors_rule, cost_alarm_name

# S3 answers these when a configuration was never set (or was deleted): an absent value, not an error.
ABSENT_CODES = {
    "ServerSideEncryptionConfigurationNotFoundError",
    "NoSuchPublicAccessBlockConfiguration",
    "OwnershipControlsNotFoundError",
    "NoSuchBucketPolicy",
    "NoSuchLifecycleConfiguration",
    "NoSuchTagSet",
    "NoSuchCORSConfiguration",
    "NoSuchEntity",
    "NotFoundException",
}
DENIED_CODES = {
    "AccessDenied",
    "AccessDeniedException",
    "AllAccessDisabled",
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
    "UnauthorizedOperation",
    "ExpiredToken",
    "InvalidClientTokenId",
}
ALARM_NAMES_PER_CALL = 100
ABSENT = object()


class Unreadable(Exception):
    """The live configuration could not be read; ``reason`` says why in words a person can act on."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass
class AwsReader:
    """boto3 clients and the per-batch caches; ``calls`` counts every AWS request made through it."""

    region: str
    endpoint_url: str | None = None
    timeout_seconds: float = 10
    role_arn: str = ""  # the environment's role (AWS_ROLE_ARN_<ENV>); empty: the process's own credentials
    calls: int = 0
    _session: boto3.session.Session | None = None
    _clients: dict = field(default_factory=dict)
    _key_arns: dict = field(default_factory=dict)
    _alarms: dict = field(default_factory=dict)
    _account_id: str | None = None

    def _new_client(self, service: str, session: boto3.session.Session):
        config = Config(
            connect_timeout=self.timeout_seconds,
            read_timeout=self.timeout_seconds,
            retries={"mode": "standard", "max_attempts": 2},
        )
        client = session.client(
            service, region_name=self.region, endpoint_url=self.endpoint_url or None, config=config
        )
        client.meta.events.register("before-call", self._count)
        return client

    def session(self) -> boto3.session.Session:
        """The process's credentials, or the environment's role assumed once for the batch."""
        if self._session is None:
            session = boto3.session.Session()
            if self.role_arn:
                try:
                    credentials = self._new_client("sts", session).assume_role(
                        RoleArn=self.role_arn, RoleSessionName="bucketwise-compliance"
                    )["Credentials"]
                except ClientError as exc:
                    code = exc.response.get("Error", {}).get("Code", "")
                    raise Unreadable(
                        f"Could not assume the environment's role {self.role_arn} ({code})."
                    ) from exc
                session = boto3.session.Session(
                    aws_access_key_id=credentials["AccessKeyId"],
                    aws_secret_access_key=credentials["SecretAccessKey"],
                    aws_session_token=credentials["SessionToken"],
                )
            self._session = session
        return self._session

    def client(self, service: str):
        if service not in self._clients:
            self._clients[service] = self._new_client(service, self.session())
        return self._clients[service]

    def _count(self, **kwargs) -> None:
        self.calls += 1

    def call(self, service: str, operation: str, what: str, **params):
        """One AWS call; absent configurations come back as ABSENT, every other failure as Unreadable."""
        try:
            return getattr(self.client(service), operation)(**params)
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            if code in ABSENT_CODES:
                return ABSENT
            if code == "NoSuchBucket":
                raise Unreadable("The bucket does not exist (deleted outside the platform?).") from exc
            if code in DENIED_CODES or status == 403:
                raise Unreadable(f"Access denied reading the {what} ({code or status}).") from exc
            raise Unreadable(f"Reading the {what} failed: {code or status}.") from exc
        except NoCredentialsError as exc:
            raise Unreadable("No AWS credentials are configured for the read-back.") from exc
        except BotoCoreError as exc:  # connection refused, timeouts, DNS: the endpoint is not answering
            raise Unreadable(f"The AWS endpoint did not answer while reading the {what}: {exc}") from exc

    # --- shared per batch ----------------------------------------------------------------------

    def account_id(self) -> str:
        if self._account_id is None:
            self._account_id = self.call("sts", "get_caller_identity", "account identity")["Account"]
        return self._account_id

    def key_arn(self, key_id: str | None) -> str | None:
        """The ARN of the KMS key ``key_id`` (an alias, a key ID or an ARN) points to; None if absent."""
        if not key_id:
            return None
        if key_id.startswith("arn:aws:kms:") and ":key/" in key_id:
            return key_id
        if key_id not in self._key_arns:
            answer = self.call("kms", "describe_key", f"KMS key {key_id}", KeyId=key_id)
            self._key_arns[key_id] = None if answer is ABSENT else answer["KeyMetadata"]["Arn"]
        return self._key_arns[key_id]

    def prefetch_alarms(self, bucket_names: list[str]) -> None:
        """Read the cost alarms of ``bucket_names`` in as few calls as CloudWatch allows."""
        names = [cost_alarm_name(b) for b in bucket_names if cost_alarm_name(b) not in self._alarms]
        for start in range(0, len(names), ALARM_NAMES_PER_CALL):
            chunk = names[start : start + ALARM_NAMES_PER_CALL]
            answer = self.call(
                "cloudwatch",
                "describe_alarms",
                "cost alarms",
                AlarmNames=chunk,
                MaxRecords=ALARM_NAMES_PER_CALL,
            )
            found = {alarm["AlarmName"]: alarm for alarm in answer.get("MetricAlarms", [])}
            for name in chunk:
                self._alarms[name] = found.get(name, ABSENT)

    def alarm(self, bucket_name: str):
        name = cost_alarm_name(bucket_name)
        if name not in self._alarms:
            self.prefetch_alarms([bucket_name])
        return self._alarms[name]


def read_bucket(bucket: str, reader: AwsReader) -> dict:
    """The live configuration of ``bucket`` in the fields of ``expected_configuration``."""
    s3 = lambda operation, what: reader.call("s3", operation, what, Bucket=bucket)  # noqa: E731
    live = {}
    live.update(_encryption(s3("get_bucket_encryption", "default encryption"), reader))
    live.update(_public_access_block(s3("get_public_access_block", "public access block")))
    live["objectOwnership"] = _ownership(s3("get_bucket_ownership_controls", "object ownership"))
    live["bucketPolicy.tlsOnly"] = has_tls_only_statement(
        _policy(s3("get_bucket_policy", "bucket policy")), bucket
    )
    versioning = s3("get_bucket_versioning", "versioning")
    live["versioning"] = versioning.get("Status") if versioning is not ABSENT else None
    live.update(_lifecycle(s3("get_bucket_lifecycle_configuration", "lifecycle rules")))
    live.update(_logging(s3("get_bucket_logging", "access logging")))
    tagging = s3("get_bucket_tagging", "tags")
    live["tags"] = (
        {} if tagging is ABSENT else dict(sorted((t["Key"], t["Value"]) for t in tagging["TagSet"]))
    )
    cors = s3("get_bucket_cors", "CORS configuration")
    live["cors"] = [] if cors is ABSENT else [_cors_rule(rule) for rule in cors.get("CORSRules", [])]
    live.update(_alarm(reader.alarm(bucket)))
    live.update(_iam_policy(bucket, reader))
    return live


def _encryption(answer, reader: AwsReader) -> dict:
    rules = [] if answer is ABSENT else answer["ServerSideEncryptionConfiguration"].get("Rules", [])
    if not rules:
        return {"encryption.algorithm": None, "encryption.kmsKey": None, "encryption.bucketKey": False}
    default = rules[0].get("ApplyServerSideEncryptionByDefault", {})
    return {
        "encryption.algorithm": default.get("SSEAlgorithm"),
        "encryption.kmsKey": reader.key_arn(default.get("KMSMasterKeyID")),
        "encryption.bucketKey": bool(rules[0].get("BucketKeyEnabled", False)),
    }


def _public_access_block(answer) -> dict:
    config = {} if answer is ABSENT else answer["PublicAccessBlockConfiguration"]
    return {
        f"publicAccessBlock.{name[0].lower()}{name[1:]}": bool(config.get(name, False))
        for name in ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
    }


def _ownership(answer) -> str | None:
    if answer is ABSENT:
        return None
    rules = answer["OwnershipControls"].get("Rules", [])
    return rules[0].get("ObjectOwnership") if rules else None


def _policy(answer) -> dict:
    if answer is ABSENT:
        return {}
    try:
        return json.loads(answer["Policy"])
    except (TypeError, ValueError):
        return {}


def _as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def has_tls_only_statement(policy: dict, bucket: str) -> bool:
    """A Deny of every S3 action, for everyone, on the bucket and its objects, when not over TLS."""
    arn = f"arn:aws:s3:::{bucket}"
    for statement in _as_list(policy.get("Statement", [])):
        if not isinstance(statement, dict) or statement.get("Effect") != "Deny":
            continue
        principal = statement.get("Principal")
        everyone = principal == "*" or (
            isinstance(principal, dict) and _as_list(principal.get("AWS")) == ["*"]
        )
        condition = statement.get("Condition", {}).get("Bool", {}).get("aws:SecureTransport")
        if (
            everyone
            and "s3:*" in _as_list(statement.get("Action", []))
            and str(condition).lower() == "false"
            and {arn, f"{arn}/*"} <= set(_as_list(statement.get("Resource", [])))
        ):
            return True
    return False


def _lifecycle(answer) -> dict:
    rules = [] if answer is ABSENT else [r for r in answer.get("Rules", []) if r.get("Status") == "Enabled"]
    abort = [
        r["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"]
        for r in rules
        if "AbortIncompleteMultipartUpload" in r
    ]
    expiration = [r["Expiration"]["Days"] for r in rules if "Days" in r.get("Expiration", {})]
    noncurrent = [
        r["NoncurrentVersionExpiration"]["NoncurrentDays"]
        for r in rules
        if "NoncurrentDays" in r.get("NoncurrentVersionExpiration", {})
    ]
    transitions = sorted(
        (
            {"days": t.get("Days"), "storageClass": t.get("StorageClass")}
            for r in rules
            for t in r.get("Transitions", [])
        ),
        key=lambda t: t["days"] or 0,
    )
    return {
        "lifecycle.rules": sorted(r.get("ID", "") for r in rules),
        "lifecycle.abortIncompleteMultipartUploadDays": min(abort) if abort else None,
        "lifecycle.transitions": transitions,
        "lifecycle.expirationDays": min(expiration) if expiration else None,
        "lifecycle.noncurrentVersionExpirationDays": min(noncurrent) if noncurrent else None,
    }


def _logging(answer) -> dict:
    enabled = {} if answer is ABSENT else answer.get("LoggingEnabled", {})
    return {
        "logging.targetBucket": enabled.get("TargetBucket"),
        "logging.targetPrefix": enabled.get("TargetPrefix"),
    }


def _cors_rule(rule: dict) -> dict:
    normalised = cors_rule(rule.get("AllowedOrigins", []))
    normalised.update(
        allowedMethods=sorted(rule.get("AllowedMethods", [])),
        allowedHeaders=sorted(rule.get("AllowedHeaders", [])),
        exposeHeaders=sorted(rule.get("ExposeHeaders", [])),
        maxAgeSeconds=rule.get("MaxAgeSeconds"),
    )
    return normalised


def _alarm(alarm) -> dict:
    if alarm is ABSENT:
        return {"costAlarm.exists": False}
    metrics = sorted(
        alarm_metric(dimensions.get("BucketName", "?"), dimensions.get("StorageType", "?"))
        for query in alarm.get("Metrics", [])
        if "MetricStat" in query
        for dimensions in [
            {d["Name"]: d["Value"] for d in query["MetricStat"]["Metric"].get("Dimensions", [])}
        ]
    )
    return {
        "costAlarm.exists": True,
        "costAlarm.thresholdBytes": int(alarm.get("Threshold", 0)),
        "costAlarm.metrics": metrics,
    }


def _iam_policy(bucket: str, reader: AwsReader) -> dict:
    arn = f"arn:aws:iam::{reader.account_id()}:policy/{app_policy_name(bucket)}"
    policy = reader.call("iam", "get_policy", "application IAM policy", PolicyArn=arn)
    if policy is ABSENT:
        return {"iamPolicy.exists": False}
    version = reader.call(
        "iam",
        "get_policy_version",
        "application IAM policy",
        PolicyArn=arn,
        VersionId=policy["Policy"]["DefaultVersionId"],
    )
    document = {} if version is ABSENT else version["PolicyVersion"]["Document"]
    if isinstance(document, str):  # botocore decodes it; a raw (URL-decoded) JSON string is read too
        document = json.loads(document)
    return {"iamPolicy.exists": True, "iamPolicy.document": document}
