"""Portal pages: thin edges over submission, visibility, filters and exports."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST, require_safe

from core.audit_verify import recent_trail_status
from core.filing import teams_open_to
from core.models import AuditEntry, Team
from requests_app import approvals, panels, plans, withdrawal
from requests_app.audit_download import UnknownEnvironment, audit_csv_download
from requests_app.catalog import governance_rows
from requests_app.contract import contract_to_yaml, load_contract
from requests_app.filters import AUDIT_FILTERS, filter_audit, filter_catalog, filter_requests
from requests_app.forms import InputProblems, RequestDecisionForm, RequestForm
from requests_app.models import Approval, CatalogStatus, Environment, RequestStatus
from requests_app.submission import IdempotencyConflict, InvalidRequest, preview, submit_request
from requests_app.visibility import (
    VIEW_CATALOG_PERMISSION,
    VIEW_REQUESTS_PERMISSION,
    sees_all,
    visible_catalog,
    visible_requests,
)


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


@require_http_methods(["GET", "HEAD", "POST"])
@permission_required("requests_app.submit_bucketrequest", raise_exception=True)
def new_request(http_request):
    # Bound on every POST, an empty one too (``POST or None`` left it unbound: a 500 on valid_input).
    posted = http_request.POST if http_request.method == "POST" else None
    form = RequestForm(posted, requester=http_request.user.get_username())
    evaluation = None
    if http_request.method == "POST":
        try:
            raw = form.valid_input()
            result = submit_request(
                raw, http_request.user, idempotency_key=http_request.POST.get("submission_key")
            )
            messages.success(http_request, f"{result.request.request_id} submitted.")
            return redirect("requests:detail", request_id=result.request.request_id)
        except InputProblems as exc:  # fields the form could not read, judged with every other field
            evaluation = preview(exc.readable, http_request.user, unreadable=exc.problems)
            form.show_problems(evaluation.problems)
        except InvalidRequest as exc:
            form.show_problems(exc.problems)
            evaluation = preview(raw, http_request.user)
        except IdempotencyConflict as exc:
            return redirect("requests:detail", request_id=exc.existing.request_id)
    return render(
        http_request,
        "requests_app/new.html",
        {
            "form": form,
            "evaluation": evaluation.to_dict() if evaluation else None,
            "teams": teams_open_to(http_request.user).values_list("slug", flat=True),
            "preview_url": reverse("requests-api:request-preview"),
        },
    )


@require_safe
@permission_required(VIEW_REQUESTS_PERMISSION, raise_exception=True)
def request_list(http_request):
    queryset = filter_requests(visible_requests(http_request.user), http_request.GET)
    page = _page(http_request, queryset.select_related("owner", "submitted_by"))
    return render(
        http_request,
        "requests_app/list.html",
        {
            "page": page,
            "sees_all": sees_all(http_request.user),
            "statuses": RequestStatus.choices,
            **_filter_context(http_request, ("environment", "status", "owner", "q")),
        },
    )


def _visible_request(http_request, request_id, *, with_votes: bool = False):
    queryset = visible_requests(http_request.user).select_related("owner", "submitted_by")
    if with_votes:
        votes = Approval.objects.select_related("approver")
        queryset = queryset.prefetch_related(Prefetch("approvals", votes))
    return get_object_or_404(queryset, request_id=request_id)


@require_safe
@permission_required(VIEW_REQUESTS_PERMISSION, raise_exception=True)
def request_detail(http_request, request_id):
    bucket_request = _visible_request(http_request, request_id, with_votes=True)
    return render(http_request, "requests_app/detail.html", _detail_context(http_request, bucket_request))


def _detail_context(http_request, bucket_request, decision_form=None) -> dict:
    votes = bucket_request.approvals.all()  # prefetched with their approvers
    refusal = approvals.refusal_for(bucket_request, http_request.user)
    may_decide = refusal is None
    return {
        "req": bucket_request,
        "approvals": votes,
        "approvals_on_current_contract": len(approvals.approvals_on_current_contract(bucket_request)),
        "guardrails_applied": approvals.guardrails_applied(bucket_request),
        "contract_yaml": _contract_yaml(bucket_request),
        "timeline": AuditEntry.objects.filter(request_id=bucket_request.request_id).order_by("id"),
        "plan_panels": panels.rendered(panels.PLAN, bucket_request, http_request),
        "panels": panels.rendered(panels.REQUEST_PAGE, bucket_request, http_request),
        "may_decide": may_decide,
        # An approver who may not vote here is told why (their own request, already voted).
        "decision_refusal": refusal.message
        if refusal and refusal.code in (refusal.OWN_REQUEST, refusal.ALREADY_VOTED)
        else "",
        "decision_form": decision_form
        or (
            RequestDecisionForm(
                initial={"contract_hash": bucket_request.contract_hash, "plan_hash": bucket_request.plan_hash}
            )
            if may_decide
            else None
        ),
        "plan_not_ready": plans.not_ready_reason(bucket_request) if may_decide else None,
        "may_withdraw": withdrawal.may_withdraw(bucket_request, http_request.user),
        "withdraw_reason_max": withdrawal.REASON_MAX_CHARS,
    }


@require_POST
@permission_required(approvals.DECIDE_PERMISSION, raise_exception=True)
def decide_request(http_request, request_id):
    """An approver's vote from the request page or the admin's request page (``next`` leads back there)."""
    bucket_request = _visible_request(http_request, request_id)
    back = http_request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        back, allowed_hosts={http_request.get_host()}, require_https=http_request.is_secure()
    ):
        back = ""
    form = RequestDecisionForm(http_request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            result = approvals.decide(
                bucket_request,
                http_request.user,
                data["decision"],
                data["comment"],
                contract_hash=data["contract_hash"] or None,
                plan_hash=data["plan_hash"] or None,
                seen_required=True,
            )
        except approvals.DecisionRefused as refused:
            form.add_error(None, refused.message)
        else:
            messages.success(http_request, result.summary)
            return redirect(back or reverse("requests:detail", args=[bucket_request.request_id]))
    if back:  # the admin's request page: say why there, the comment goes back with the message
        messages.error(http_request, " ".join(error for errors in form.errors.values() for error in errors))
        return redirect(back)
    # The page again, with the comment as typed and what was wrong (nothing is lost).
    bucket_request = _visible_request(http_request, request_id, with_votes=True)
    context = _detail_context(http_request, bucket_request, form)
    return render(http_request, "requests_app/detail.html", context, status=400)


@require_POST
@permission_required(withdrawal.WITHDRAW_PERMISSION, raise_exception=True)
def withdraw_request(http_request, request_id):
    """The requester withdraws their pending request from its page; a refused state or reason is said."""
    bucket_request = _visible_request(http_request, request_id)
    try:
        withdrawal.withdraw_request(
            bucket_request, http_request.user, reason=http_request.POST.get("reason", "")
        )
    except withdrawal.WithdrawRefused as refused:
        if refused.code == refused.NOT_REQUESTER:
            raise PermissionDenied(refused.message) from refused
        messages.error(http_request, refused.message)
    else:
        messages.success(http_request, f"{bucket_request.request_id} withdrawn.")
    return redirect("requests:detail", request_id=bucket_request.request_id)


@require_safe
@permission_required(approvals.DECIDE_PERMISSION, raise_exception=True)
def approval_queue(http_request):
    """Waiting for you: the requests this approver may decide, oldest first."""
    queryset = approvals.awaiting_decision(http_request.user).select_related("owner")
    page = _page(http_request, queryset)
    summaries = panels.queue_summaries(list(page))
    return render(
        http_request,
        "requests_app/queue.html",
        {
            "page": page,
            "rows": [(req, summaries.get(req.pk, "")) for req in page],
        },
    )


def _contract_yaml(bucket_request) -> str:
    return contract_to_yaml(load_contract(bucket_request.contract))


@require_safe
@permission_required(VIEW_REQUESTS_PERMISSION, raise_exception=True)
def contract_download(http_request, request_id):
    bucket_request = _visible_request(http_request, request_id)
    response = HttpResponse(_contract_yaml(bucket_request), content_type="application/yaml; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{bucket_request.request_id}.yaml"'
    return response


@require_safe
@permission_required(VIEW_CATALOG_PERMISSION, raise_exception=True)
def catalog_list(http_request):
    queryset = filter_catalog(visible_catalog(http_request.user), http_request.GET)
    queryset = panels.prepare_catalog(queryset, http_request.GET)  # other apps' columns and filters
    page = _page(http_request, queryset.select_related("owner", "request"))
    columns = panels.catalog_columns()
    return render(
        http_request,
        "requests_app/catalog_list.html",
        {
            "page": page,
            "statuses": CatalogStatus.choices,
            "columns": columns,
            "column_filters": [
                (c, http_request.GET.get(c.filter_name, "")) for c in columns if c.filter_name
            ],
            **_filter_context(http_request, ("environment", "status", "owner", "q")),
        },
    )


@require_safe
@permission_required(VIEW_CATALOG_PERMISSION, raise_exception=True)
def catalog_detail(http_request, bucket_name):
    entry = get_object_or_404(
        visible_catalog(http_request.user).select_related("owner", "request"), bucket_name=bucket_name
    )
    return render(
        http_request,
        "requests_app/catalog_detail.html",
        {
            "entry": entry,
            "governance": governance_rows(entry.governance),
            "panels": panels.rendered(panels.CATALOG_PAGE, entry, http_request),
        },
    )


@require_safe
@permission_required("core.view_auditentry", raise_exception=True)
def audit_list(http_request):
    queryset = filter_audit(AuditEntry.objects.order_by("-id"), http_request.GET)
    return render(
        http_request,
        "requests_app/audit.html",
        {
            "page": _page(http_request, queryset),
            "can_export": http_request.user.has_perm("core.export_auditentry"),
            "trail": recent_trail_status(),
            **_filter_context(http_request, AUDIT_FILTERS),
        },
    )


# GET only: the export writes its audit checkpoint before the first line, so a HEAD would record an export
# that delivered nothing.
@require_GET
@permission_required("core.export_auditentry", raise_exception=True)
def audit_export(http_request):
    try:
        return audit_csv_download(http_request.GET.get("environment") or None)
    except UnknownEnvironment as error:
        return HttpResponse(str(error), status=400, content_type="text/plain")
