from django.apps import AppConfig


class RunnerConfig(AppConfig):
    name = "runner"
    verbose_name = "Terraform runs"

    def ready(self):
        from requests_app import panels, signals
        from runner import checks, dispatch  # noqa: F401  (checks registers itself)
        from runner.views import plan_panel, queue_plan_summaries, runs_panel

        signals.status_changed.connect(dispatch.on_status_changed, dispatch_uid="runner.on_status_changed")
        signals.submitted.connect(dispatch.on_submitted, dispatch_uid="runner.on_submitted")
        panels.register_panel(panels.PLAN, plan_panel)
        panels.register_panel(panels.REQUEST_PAGE, runs_panel)
        panels.register_queue_summary(queue_plan_summaries)
