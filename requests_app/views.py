"""Portal pages: thin edges over submission, visibility, filters and exports."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET

from core.audit_verify import recent_trail_status
from core.filing import teams_open_to
from core.models import AuditEntry, Team
from requests_app import approvals, panels
from requests_app.audit_download import UnknownEnvironment, audit_csv_download
from requests_app.contract import contract_to_yaml, load_contract
from requests_app.filters import AUDIT_FILTERS, filter_audit, filter_catalog, filter_requests
from requests_app.forms import RequestForm
from requests_app.models import CatalogStatus, Environment, RequestStatus
from requests_app.submission import IdempotencyConflict, InvalidRequest, preview, submit_request
from requests_app.visibility import sees_all, visible_catalog, visible_requests


def _page(http_request, queryset):
    return Paginator(queryset, settings.PORTAL_PAGE_SIZE).get_page(http_request.GET.get("page"))


def _filter_context(http_request, names) -> dict:
    """The current filter values and the query string that keeps them across pages."""
    query = http_request.GET.copy()
    query.pop("page", None)
    return {
        "filters": {name: http_request.GET.get(name, "") for name in names},
        "filter_query": query.urlencode(),
        "environments": Environment.values,
        "teams": Team.objects.values_list("slug", flat=True),
    }


@permission_required("requests_app.submit_bucketrequest", raise_exception=True)
def new_request(http_request):
    form = RequestForm(http_request.POST or None, requester=http_request.user.get_username())
    evaluation = None
    if http_request.method == "POST":
        raw = form.raw_input_or_problems()
        if not isinstance(raw, list):
            try:
                result = submit_request(raw, http_request.user,
                                        idempotency_key=http_request.POST.get("submission_key"))
                messages.success(http_request, f"{result.request.request_id} submitted.")
                return redirect("requests:detail", request_id=result.request.request_id)
            except InvalidRequest as exc:
                form.add_problems(exc.problems)
                evaluation = preview(raw, http_request.user)
            except IdempotencyConflict as exc:
                return redirect("requests:detail", request_id=exc.existing.request_id)
    return render(http_request, "requests_app/new.html", {
        "form": form,
        "evaluation": evaluation.to_dict() if evaluation else None,
        "teams": teams_open_to(http_request.user).values_list("slug", flat=True),
        "preview_url": reverse("requests-api:request-preview"),
    })


def request_list(http_request):
    queryset = filter_requests(visible_requests(http_request.user), http_request.GET)
    page = _page(http_request, queryset.select_related("owner", "submitted_by"))
    return render(http_request, "requests_app/list.html", {
        "page": page,
        "sees_all": sees_all(http_request.user),
        "statuses": RequestStatus.choices,
        **_filter_context(http_request, ("environment", "status", "owner", "q")),
    })


def _visible_request(http_request, request_id):
    queryset = visible_requests(http_request.user).select_related("owner", "submitted_by")
    return get_object_or_404(queryset, request_id=request_id)


def request_detail(http_request, request_id):
    bucket_request = _visible_request(http_request, request_id)
    votes = bucket_request.approvals.select_related("approver")
    return render(http_request, "requests_app/detail.html", {
        "req": bucket_request,
        "approvals": votes,
        "approvals_on_current_contract": sum(approvals.counts(vote, bucket_request) for vote in votes),
        "contract_yaml": _contract_yaml(bucket_request),
        "timeline": AuditEntry.objects.filter(request_id=bucket_request.request_id).order_by("id"),
        "plan_panels": panels.rendered(panels.PLAN, bucket_request, http_request),
        "panels": panels.rendered(panels.REQUEST_PAGE, bucket_request, http_request),
        "can_decide": http_request.user.has_perm("requests_app.decide_bucketrequest"),
    })


def _contract_yaml(bucket_request) -> str:
    return contract_to_yaml(load_contract(bucket_request.contract))


@require_GET
def contract_download(http_request, request_id):
    bucket_request = _visible_request(http_request, request_id)
    response = HttpResponse(_contract_yaml(bucket_request), content_type="application/yaml; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{bucket_request.request_id}.yaml"'
    return response


def catalog_list(http_request):
    queryset = filter_catalog(visible_catalog(http_request.user), http_request.GET)
    queryset = panels.prepare_catalog(queryset, http_request.GET)  # other apps' columns and filters
    page = _page(http_request, queryset.select_related("owner", "request"))
    columns = panels.catalog_columns()
    return render(http_request, "requests_app/catalog_list.html", {
        "page": page,
        "statuses": CatalogStatus.choices,
        "columns": columns,
        "column_filters": [(c, http_request.GET.get(c.filter_name, "")) for c in columns if c.filter_name],
        **_filter_context(http_request, ("environment", "status", "owner", "q")),
    })


def catalog_detail(http_request, bucket_name):
    entry = get_object_or_404(visible_catalog(http_request.user).select_related("owner", "request"),
                              bucket_name=bucket_name)
    return render(http_request, "requests_app/catalog_detail.html", {
        "entry": entry,
        "panels": panels.rendered(panels.CATALOG_PAGE, entry, http_request),
    })


@permission_required("core.view_auditentry", raise_exception=True)
def audit_list(http_request):
    queryset = filter_audit(AuditEntry.objects.order_by("-id"), http_request.GET)
    return render(http_request, "requests_app/audit.html", {
        "page": _page(http_request, queryset),
        "can_export": http_request.user.has_perm("core.export_auditentry"),
        "trail": recent_trail_status(),
        **_filter_context(http_request, AUDIT_FILTERS),
    })


@permission_required("core.export_auditentry", raise_exception=True)
def audit_export(http_request):
    try:
        return audit_csv_download(http_request.GET.get("environment") or None)
    except UnknownEnvironment as error:
        return HttpResponse(str(error), status=400, content_type="text/plain")
