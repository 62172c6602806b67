"""Checking buckets: read back, compare with the contract, record the state and the findings.

``check_buckets`` is what the schedule, the post-apply verification, the command and the bench call.
A check that cannot read the bucket records *unknown* with the reason and leaves the findings as they
were: nothing is cleared on a read that did not happen, and nothing is ever "compliant" unread.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from compliance.comparison import Difference, differences
from compliance.expected import expected_configuration
from compliance.models import BucketCompliance, ComplianceState, Finding, FindingStatus, RunVerification
from compliance.readback import AwsReader, Unreadable, read_bucket
from core import audit
from requests_app.contract import ContractSchemaError, load_contract
from requests_app.models import CatalogEntry, CatalogStatus
from requests_app.platform_policy import current_policy
from runner.aws import role_arn

logger = logging.getLogger(__name__)
ACTOR = "compliance-check"


@dataclass
class CheckResult:
    bucket_name: str
    state: str
    reason: str = ""
    differences: list[Difference] = field(default_factory=list)
    aws_calls: int = 0
    recorded: bool = True


def new_reader(environment: str = "") -> AwsReader:
    """A reader acting as ``environment``'s role (AWS_ROLE_ARN_<ENV>, as its runs do), else as the process."""
    return AwsReader(
        region=settings.AWS_REGION,
        endpoint_url=settings.AWS_ENDPOINT_URL or None,
        timeout_seconds=settings.COMPLIANCE_AWS_TIMEOUT_SECONDS,
        role_arn=role_arn(environment) if environment else "",
    )


class Readers:
    """One reader per environment for a batch (each environment's buckets live where its role reaches)."""

    def __init__(self):
        self._readers: dict[str, AwsReader] = {}

    def for_environment(self, environment: str) -> AwsReader:
        if environment not in self._readers:
            self._readers[environment] = new_reader(environment)
        return self._readers[environment]

    @property
    def calls(self) -> int:
        return sum(reader.calls for reader in self._readers.values())


def check_buckets(entries, *, readers: Readers | None = None, run=None) -> list[CheckResult]:
    """Check each catalog entry (with its request loaded); shared reads happen once per environment."""
    entries = list(entries)
    readers = readers or Readers()
    for environment in sorted({entry.environment for entry in entries}):
        try:
            readers.for_environment(environment).prefetch_alarms(
                [entry.bucket_name for entry in entries if entry.environment == environment]
            )
        except Unreadable:
            pass  # each bucket's own read meets the same problem and records it
    return [check_bucket(entry, readers.for_environment(entry.environment), run=run) for entry in entries]


def check_bucket(entry: CatalogEntry, reader: AwsReader, *, run=None) -> CheckResult:
    calls_before = reader.calls
    try:
        differences_found = _differences(entry, reader)
    except Unreadable as exc:
        result = CheckResult(entry.bucket_name, ComplianceState.UNKNOWN, reason=exc.reason)
    else:
        state = ComplianceState.DRIFTED if differences_found else ComplianceState.COMPLIANT
        result = CheckResult(entry.bucket_name, state, differences=differences_found)
    result.aws_calls = reader.calls - calls_before
    result.recorded = record_check(entry, result, run=run)
    return result


def _differences(entry: CatalogEntry, reader: AwsReader) -> list[Difference]:
    try:
        contract = load_contract(entry.request.contract)
    except ContractSchemaError as exc:
        raise Unreadable(f"The stored contract of {entry.request.request_id} does not load: {exc}") from exc
    expected = expected_configuration(contract, current_policy())
    alias = expected["encryption.kmsKey"]
    if alias:
        expected["encryption.kmsKey"] = reader.key_arn(alias) or f"the key behind {alias} (alias not found)"
    return differences(expected, read_bucket(entry.bucket_name, reader))


@transaction.atomic
def record_check(entry: CatalogEntry, result: CheckResult, *, run=None) -> bool:
    """Write the outcome under the entry's row lock; False (nothing written) if the bucket left ``active``
    meanwhile (a remediation run took it, or it was decommissioned)."""
    locked = CatalogEntry.objects.select_for_update(of=("self",)).select_related("request").get(pk=entry.pk)
    if run is not None:
        _record_verification(run, result)
    if locked.status != CatalogStatus.ACTIVE:
        return False
    now = timezone.now()
    if result.state != ComplianceState.UNKNOWN:
        _update_findings(locked, result.differences, now)
    compliance = BucketCompliance.objects.filter(entry=locked).first()
    previous = compliance.state if compliance else None
    if compliance is None:
        compliance = BucketCompliance(entry=locked)
    compliance.state = result.state
    compliance.reason = result.reason
    compliance.checked_at = now
    compliance.aws_calls = min(result.aws_calls, 32767)
    compliance.open_findings = locked.findings.filter(status=FindingStatus.OPEN).count()
    if result.state == ComplianceState.COMPLIANT:
        compliance.compliant_since = (
            compliance.compliant_since if previous == ComplianceState.COMPLIANT else now
        )
    else:
        compliance.compliant_since = None
    compliance.save()
    if previous != result.state:
        audit.record(
            "compliance.state",
            actor=ACTOR,
            request=locked.request,
            detail={
                "from": previous,
                "to": result.state,
                "reason": result.reason,
                "open_findings": compliance.open_findings,
            },
        )
    return True


def _update_findings(entry: CatalogEntry, found: list[Difference], now) -> None:
    open_findings = {f.field: f for f in entry.findings.select_for_update().filter(status=FindingStatus.OPEN)}
    for difference in found:
        finding = open_findings.pop(difference.field, None)
        if finding is not None:
            finding.expected, finding.actual, finding.last_seen_at = (
                difference.expected,
                difference.actual,
                now,
            )
            finding.save(update_fields=["expected", "actual", "last_seen_at"])
            continue
        Finding.objects.create(
            entry=entry,
            field=difference.field,
            expected=difference.expected,
            actual=difference.actual,
            first_seen_at=now,
            last_seen_at=now,
        )
        audit.record(
            "compliance.finding_opened",
            actor=ACTOR,
            request=entry.request,
            detail={"field": difference.field, "expected": difference.expected, "actual": difference.actual},
        )
    for finding in open_findings.values():
        finding.status, finding.cleared_at = FindingStatus.CLEARED, now
        finding.save(update_fields=["status", "cleared_at"])
        audit.record(
            "compliance.finding_cleared",
            actor=ACTOR,
            request=entry.request,
            detail={
                "field": finding.field,
                "first_seen_at": finding.first_seen_at,
                "last_seen_at": finding.last_seen_at,
            },
        )


def _record_verification(run, result: CheckResult) -> None:
    verified = result.state == ComplianceState.COMPLIANT
    RunVerification.objects.update_or_create(
        run=run,
        defaults={
            "verified": verified,
            "state": result.state,
            "reason": result.reason,
            "findings": [d.field for d in result.differences],
            "checked_at": timezone.now(),
        },
    )
    audit.record(
        "run.verified" if verified else "run.not_verified",
        actor=ACTOR,
        request=run.request,
        detail={
            "run": run.pk,
            "state": result.state,
            "reason": result.reason,
            "findings": [d.field for d in result.differences],
        },
    )


def active_entries():
    return CatalogEntry.objects.filter(status=CatalogStatus.ACTIVE).select_related("request")
