"""Reading compliance for display: one place the pages, the API and the Backstage entities take the
state, its reason and the findings from (a bucket never checked is unknown, with that as the reason)."""

from dataclasses import dataclass, field

from django.db.models import Q

from compliance.models import BucketCompliance, ComplianceState, Finding, FindingStatus, RunVerification
from requests_app.models import CatalogEntry

NOT_CHECKED = "Not checked yet."
CLEARED_SHOWN = 10
STATE_FILTER_CHOICES = tuple(ComplianceState.choices)


@dataclass
class BucketStatus:
    state: str
    reason: str
    checked_at: object = None
    compliant_since: object = None
    open_findings: list = field(default_factory=list)
    cleared_findings: list = field(default_factory=list)

    @property
    def label(self) -> str:
        return ComplianceState(self.state).label


def state_of(compliance: BucketCompliance | None) -> tuple[str, str]:
    if compliance is None:
        return ComplianceState.UNKNOWN.value, NOT_CHECKED
    return compliance.state, compliance.reason


def bucket_status(entry: CatalogEntry) -> BucketStatus:
    compliance = BucketCompliance.objects.filter(entry=entry).first()
    state, reason = state_of(compliance)
    findings = Finding.objects.filter(entry=entry)
    return BucketStatus(
        state=state,
        reason=reason,
        checked_at=compliance.checked_at if compliance else None,
        compliant_since=compliance.compliant_since if compliance else None,
        open_findings=list(findings.filter(status=FindingStatus.OPEN).order_by("field")),
        cleared_findings=list(
            findings.filter(status=FindingStatus.CLEARED).order_by("-cleared_at")[:CLEARED_SHOWN]
        ),
    )


def with_state(queryset):
    return queryset.select_related("compliance")


def filter_by_state(queryset, state: str):
    if state == ComplianceState.UNKNOWN:
        return queryset.filter(Q(compliance__state=state) | Q(compliance__isnull=True))
    return queryset.filter(compliance__state=state)


def states_by_entry(entries) -> dict[int, tuple[str, str]]:
    """(state, reason) per catalog entry, in one query."""
    rows = {c.entry_id: c for c in BucketCompliance.objects.filter(entry__in=[e.pk for e in entries])}
    return {entry.pk: state_of(rows.get(entry.pk)) for entry in entries}


def latest_verification(request) -> RunVerification | None:
    return (
        RunVerification.objects.filter(run__request=request).select_related("run").order_by("-run_id").first()
    )
