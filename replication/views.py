"""Pages of replication health: the overview, a pair's events, an incident with its runbook.

Thin edges over :mod:`replication.overview` (rows and counts) and :mod:`replication.incidents`
(acknowledge/resolve). Anyone with a role may look; platform approvers decide.
"""

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST, require_safe

from core.models import Team
from replication import chart, incidents
from replication.models import Incident, ReplicationEvent
from replication.overview import filter_pairs, health_rows, pairs_with_counts, processing_backlog
from replication.pair_state import STATE_DEFINITIONS
from requests_app.models import CatalogEntry, Environment

VIEW_PERMISSION = "replication.view_bucketpair"
MANAGE_PERMISSION = "replication.manage_incident"
EVENTS_PER_PAGE = 50


def _with_charts(rows):
    for row in rows:
        row.bars = chart.bars(row.daily)
        row.chart_text = chart.text_alternative(row.daily)
    return rows


@require_safe
@permission_required(VIEW_PERMISSION, raise_exception=True)
def health(request):
    filters = {"environment": request.GET.get("environment", ""), "owner": request.GET.get("owner", "")}
    pairs = filter_pairs(pairs_with_counts(), **filters)
    page = Paginator(pairs, settings.PORTAL_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "replication/health.html",
        {
            "page": page,
            "rows": _with_charts(health_rows(page.object_list)),
            "backlog": processing_backlog(),
            "filters": filters,
            "filter_query": urlencode({k: v for k, v in filters.items() if v}),
            "environments": Environment.values,
            "teams": Team.objects.values_list("slug", flat=True),
            "definitions": STATE_DEFINITIONS,
            "chart_width": chart.WIDTH,
            "chart_height": chart.HEIGHT,
        },
    )


@require_safe
@permission_required(VIEW_PERMISSION, raise_exception=True)
def pair_detail(request, pk):
    pair = get_object_or_404(pairs_with_counts(), pk=pk)
    row = _with_charts(health_rows([pair]))[0]
    events = ReplicationEvent.objects.filter(pair=pair).select_related("sns_message", "incident")
    return render(
        request,
        "replication/pair_detail.html",
        {
            "row": row,
            "pair": pair,
            "incidents": Incident.objects.filter(pair=pair).order_by("-last_event_at"),
            "page": Paginator(events, EVENTS_PER_PAGE).get_page(request.GET.get("page")),
            "definitions": STATE_DEFINITIONS,
            "chart_width": chart.WIDTH,
            "chart_height": chart.HEIGHT,
        },
    )


@require_safe
@permission_required(VIEW_PERMISSION, raise_exception=True)
def incident_detail(request, pk):
    incident = get_object_or_404(Incident.objects.select_related("pair__catalog_entry__owner"), pk=pk)
    return render(
        request,
        "replication/incident_detail.html",
        {
            "incident": incident,
            "events": incident.events.order_by("-occurred_at")[:EVENTS_PER_PAGE],
            "can_manage": request.user.has_perm(MANAGE_PERMISSION),
        },
    )


@require_POST
@permission_required(MANAGE_PERMISSION, raise_exception=True)
def incident_action(request, pk, action):
    get_object_or_404(Incident, pk=pk)
    try:
        incident = incidents.apply(pk, action, request.user, request.POST.get("note", ""))
    except incidents.TransitionRefused as exc:
        messages.error(request, str(exc).capitalize() + ".")
    else:
        messages.success(request, f"Incident #{incident.pk} is now {incident.get_state_display().lower()}.")
    return redirect("replication:incident", pk=pk)


def replication_panel(catalog_entry, http_request):
    """The bucket's replication state on the catalog page (None when it has no pairs)."""
    if catalog_entry is None or not http_request.user.has_perm(VIEW_PERMISSION):
        return None
    rows = health_rows(pairs_with_counts().filter(catalog_entry=catalog_entry))
    if not rows:
        return None
    return {
        "title": "Replication health",
        "template": "replication/panel.html",
        "context": {"rows": rows, "definitions": STATE_DEFINITIONS},
    }


def request_replication_panel(bucket_request, http_request):
    """The same panel on the request page, through the request's catalog entry."""
    try:
        entry = bucket_request.catalog_entry
    except CatalogEntry.DoesNotExist:
        return None
    return replication_panel(entry, http_request)
