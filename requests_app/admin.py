"""Admin for platform approvers: decide on pending requests (teams and API tokens are in core.admin).

Requests change only through named transitions and votes (``approvals.decide``), so
their admin is read-only apart from the approve/reject actions (the audit trail's admin is
in ``core.admin``).
"""

from django.contrib import admin, messages
from django.db.models import Case, IntegerField, Value, When
from django.template.response import TemplateResponse
from django.utils.html import format_html, format_html_join

from core.admin import ReadOnlyAdminMixin
from requests_app import approvals, panels
from requests_app.contract import contract_to_yaml, load_contract
from requests_app.forms import DecisionForm
from requests_app.models import Approval, BucketRequest, CatalogEntry, Decision, RequestStatus


class ApprovalInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = Approval
    fields = ["approver", "decision", "comment", "contract_hash", "plan_hash", "decided_at"]
    readonly_fields = fields
    extra = 0


def _decision_action(decision: str, label: str):
    def action(modeladmin, http_request, queryset):
        return modeladmin.decide_with_comment(http_request, queryset, decision, label)

    action.__name__ = f"{decision}_selected"
    action.short_description = f"{label} selected requests…"
    action.allowed_permissions = ("decide",)
    return action


@admin.register(BucketRequest)
class BucketRequestAdmin(admin.ModelAdmin):
    list_display = [
        "request_id",
        "bucket_name",
        "environment",
        "owner",
        "requester",
        "status",
        "approval_progress",
        "created_at",
    ]
    list_filter = ["status", "environment", "owner"]
    search_fields = ["request_id", "bucket_name", "requester"]
    list_select_related = ["owner"]
    inlines = [ApprovalInline]
    actions = [_decision_action(Decision.APPROVE, "Approve"), _decision_action(Decision.REJECT, "Reject")]
    fields = [
        "request_id",
        "status",
        "bucket_name",
        "environment",
        "application",
        "purpose",
        "owner",
        "requester",
        "submitted_by_name",
        "approval_reasons_list",
        "guardrail_results",
        "warnings_list",
        "contract_hash",
        "plan_status",
        "plan_hash",
        "contract_yaml",
        "created_at",
        "updated_at",
    ]
    readonly_fields = fields
    # The plan approvers vote on is shown under the fields (templates/admin/requests_app/bucketrequest/).
    change_form_template = "admin/requests_app/bucketrequest/change_form.html"

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, object_id)
        plan = panels.rendered(panels.PLAN, obj, request) if obj is not None else []
        # Approve / reject buttons post to the portal's decision view (one edge for both places),
        # which sends the approver back here.
        may_decide = obj is not None and approvals.refusal_for(obj, request.user) is None
        return super().change_view(
            request,
            object_id,
            form_url,
            {
                **(extra_context or {}),
                "plan_panels": plan,
                "may_decide": may_decide,
                "decision_choices": Decision.choices,
            },
        )

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("approvals")

    def get_ordering(self, request):
        pending_first = Case(
            When(status=RequestStatus.PENDING_APPROVAL, then=Value(0)),
            default=Value(1),
            output_field=IntegerField(),
        )
        return [pending_first.asc(), "-number"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        # A request changes only through its named transitions (the decide actions), never by Save.
        return False

    def has_decide_permission(self, request):
        return request.user.has_perm(approvals.DECIDE_PERMISSION)

    @admin.display(description="Approvals")
    def approval_progress(self, obj):
        if not obj.approval_required:
            return "not needed"
        return f"{len(approvals.approvals_on_current_contract(obj))} of {obj.approvals_needed}"

    @admin.display(description="Submitted by")
    def submitted_by_name(self, obj):
        # The account's name, not a link to the user admin that approvers may not open.
        return obj.submitted_by.get_username() if obj.submitted_by else "—"

    @admin.display(description="Why approval is needed")
    def approval_reasons_list(self, obj):
        if not obj.approval_reasons:
            return "No rule of the approval matrix applies."
        return format_html(
            "<ul>{}</ul>",
            format_html_join("", "<li>{}</li>", ((r["message"],) for r in obj.approval_reasons)),
        )

    @admin.display(description="Guardrails applied")
    def guardrail_results(self, obj):
        applied = approvals.guardrails_applied(obj)
        return (
            format_html(
                "<ul>{}</ul>",
                format_html_join(
                    "",
                    "<li><code>{}</code> = {} <small>({}: {})</small></li>",
                    ((a["path"], a["value"], a["source"], a["reason"]) for a in applied),
                ),
            )
            if applied
            else "—"
        )

    @admin.display(description="Warnings")
    def warnings_list(self, obj):
        return (
            format_html_join("", "<div>{}: {}</div>", ((w["path"], w["message"]) for w in obj.warnings))
            or "—"
        )

    @admin.display(description="Contract")
    def contract_yaml(self, obj):
        return format_html("<pre>{}</pre>", contract_to_yaml(load_contract(obj.contract)))

    def decide_with_comment(self, http_request, queryset, decision: str, label: str):
        """First call: ask for a comment. Second call (with ``apply``): vote on each selected request."""
        form = DecisionForm(http_request.POST if "apply" in http_request.POST else None)
        if form.is_bound and form.is_valid():
            for bucket_request in queryset:
                self._vote(
                    http_request,
                    bucket_request,
                    decision,
                    form.cleaned_data["comment"],
                    http_request.POST.get(f"hash-{bucket_request.pk}"),
                    http_request.POST.get(f"plan-{bucket_request.pk}"),
                )
            return None
        return TemplateResponse(
            http_request,
            "admin/requests_app/decide.html",
            {
                **self.admin_site.each_context(http_request),
                "title": f"{label} requests",
                "label": label,
                "action": f"{decision}_selected",
                "form": form,
                "requests": [
                    (bucket_request, panels.rendered(panels.PLAN, bucket_request, http_request))
                    for bucket_request in queryset
                ],
                "opts": self.model._meta,
                "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            },
        )

    def _vote(self, http_request, bucket_request, decision, comment, seen_hash, seen_plan):
        try:
            result = approvals.decide(
                bucket_request,
                http_request.user,
                decision,
                comment,
                contract_hash=seen_hash or None,
                plan_hash=seen_plan or None,
                seen_required=True,
            )
        except approvals.DecisionRefused as exc:
            self.message_user(http_request, f"{bucket_request.request_id}: {exc.message}", messages.ERROR)
            return
        self.message_user(http_request, result.summary, messages.SUCCESS)


@admin.register(CatalogEntry)
class CatalogEntryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["bucket_name", "environment", "owner", "purpose", "region", "status"]
    list_filter = ["status", "environment", "owner"]
    search_fields = ["bucket_name"]
    list_select_related = ["owner"]
