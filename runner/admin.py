"""Runs in the admin: filters, the run's details read-only, and the cancel and retry actions."""

from django.contrib import admin, messages
from django.utils.html import format_html, format_html_join

from runner import dispatch
from runner.access import can_cancel, can_retry
from runner.models import Run
from runner.step_times import step_rows


@admin.register(Run)
class RunAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "request",
        "kind",
        "status",
        "attempt",
        "step",
        "started_at",
        "finished_at",
        "worker",
    ]
    list_filter = ["status", "kind", "request__environment", "started_at"]
    search_fields = ["request__request_id", "request__bucket_name", "worker"]
    list_select_related = ["request"]
    actions = ["cancel_runs", "retry_requests", "plan_requests_again"]
    readonly_fields = [field.name for field in Run._meta.fields if field.name != "steps"] + ["step_times"]

    @admin.display(description="Steps")
    def step_times(self, run):
        """Each step with its start (UTC), duration and outcome, as on the run page."""
        rows = step_rows(run.steps, run_active=run.is_active)
        if not rows:
            return "–"
        return format_html(
            "<table><thead><tr><th>Step</th><th>Started (UTC)</th><th>Duration</th><th>Outcome</th></tr>"
            "</thead><tbody>{}</tbody></table>",
            format_html_join(
                "",
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                (
                    (row.name, row.started_at.strftime("%Y-%m-%d %H:%M:%S"), row.duration, row.outcome)
                    for row in rows
                ),
            ),
        )

    def has_add_permission(self, request):
        return False  # runs are created by submissions, approvals, retries and re-plans only

    def has_delete_permission(self, request, obj=None):
        return False  # runs are part of the audit story

    def has_cancel_permission(self, request):
        return can_cancel(request.user)

    def has_retry_permission(self, request):
        return can_retry(request.user)

    @admin.action(description="Cancel the selected runs", permissions=["cancel"])
    def cancel_runs(self, request, queryset):
        self._each(
            request,
            queryset,
            lambda run: dispatch.cancel_run(run, actor=request.user),
            "Cancel requested for run {}.",
        )

    @admin.action(description="Retry the requests of the selected runs with a new run", permissions=["retry"])
    def retry_requests(self, request, queryset):
        self._each(
            request,
            queryset,
            lambda run: dispatch.retry_request(run.request, actor=request.user),
            "New run queued for the request of run {}.",
        )

    @admin.action(
        description="Plan the requests of the selected runs again (waiting for approval)",
        permissions=["retry"],
    )
    def plan_requests_again(self, request, queryset):
        self._each(
            request,
            queryset,
            lambda run: dispatch.plan_again(run.request, actor=request.user),
            "New plan run queued for the request of run {}.",
        )

    def _each(self, request, queryset, action, success_text):
        for run in queryset:
            try:
                action(run)
            except dispatch.RunnerError as error:
                self.message_user(request, str(error), messages.WARNING)
            else:
                self.message_user(request, success_text.format(run.pk), messages.SUCCESS)
