"""Compliance on the portal's pages: the catalog column and filter, the findings panel on the catalog and
request pages, the remediation button, and the Backstage entity annotations."""

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from compliance import remediation, status
from requests_app.models import CatalogEntry
from requests_app.panels import ListColumn
from requests_app.visibility import visible_catalog

VIEW_PERMISSION = "compliance.view_finding"
STATE_ANNOTATION = "bucketwise.io/compliance"
REASON_ANNOTATION = "bucketwise.io/compliance-reason"
BADGE = {"compliant": "ok", "drifted": "bad", "unknown": "warn"}

COMPLIANCE_COLUMN = ListColumn(
    title="Compliance",
    template="compliance/_cell.html",
    prepare=status.with_state,
    filter_name="compliance",
    filter_label="Compliance",
    filter_choices=status.STATE_FILTER_CHOICES,
    apply_filter=status.filter_by_state,
)


def catalog_compliance_panel(entry, http_request):
    """The bucket's compliance state and findings, and the remediation button for approvers."""
    if entry is None or not http_request.user.has_perm(VIEW_PERMISSION):
        return None
    bucket = status.bucket_status(entry)
    refusal = remediation.refusal(entry, entry.request, http_request.user)
    return {
        "title": "Compliance",
        "template": "compliance/panel.html",
        "context": {
            "entry": entry,
            "bucket": bucket,
            "badge": BADGE[bucket.state],
            "verification": status.latest_verification(entry.request),
            "can_remediate": refusal is None,
            "show_remediation_refusal": http_request.user.has_perm(remediation.REMEDIATE_PERMISSION),
            "remediation_refusal": refusal,
            "remediate_url": reverse("compliance:remediate", args=[entry.bucket_name]),
        },
    }


def request_compliance_panel(bucket_request, http_request):
    try:
        entry = bucket_request.catalog_entry
    except CatalogEntry.DoesNotExist:
        return None
    return catalog_compliance_panel(entry, http_request)


@require_POST
@permission_required(remediation.REMEDIATE_PERMISSION, raise_exception=True)
def remediate(http_request, bucket_name: str):
    """Who may is answered 403 like every other page action; the bucket's state is said as a message."""
    entry = get_object_or_404(
        visible_catalog(http_request.user).select_related("request"), bucket_name=bucket_name
    )
    try:
        run = remediation.start_remediation(entry, actor=http_request.user)
    except remediation.RemediationRefused as refused:
        messages.error(http_request, str(refused))
    else:
        messages.success(
            http_request,
            f"Remediation run #{run.pk} queued: it re-applies the approved contract "
            f"of {entry.request.request_id}.",
        )
    return redirect("requests:catalog-detail", bucket_name=entry.bucket_name)


def entity_annotations(entries) -> dict:
    """Backstage annotations: the compliance state, and the reason when it is unknown."""
    annotations = {}
    for pk, (state, reason) in status.states_by_entry(entries).items():
        annotations[pk] = {STATE_ANNOTATION: state, **({REASON_ANNOTATION: reason[:250]} if reason else {})}
    return annotations
