"""Startup checks for settings whose values must fit together."""

from django.conf import settings
from django.core.checks import Error, register


@register()
def step_timeouts_fit_the_task_timeout(app_configs, **kwargs):
    """django-q kills a task at Q_CLUSTER['timeout']: a run's steps (each may end with a
    graceful-stop grace period) must fit inside it, or a slow apply dies without a record."""
    budget = sum(settings.RUNNER_STEP_TIMEOUTS.values()) + settings.RUNNER_CANCEL_GRACE_SECONDS
    task_timeout = settings.Q_CLUSTER["timeout"]
    if budget < task_timeout:
        return []
    return [
        Error(
            f"The runner's step timeouts plus the cancel grace period ({budget:.0f} s) do not fit in the "
            f"task timeout ({task_timeout} s).",
            hint="Raise Q_TASK_TIMEOUT or lower the RUNNER_*_TIMEOUT_SECONDS settings.",
            id="runner.E001",
        )
    ]
