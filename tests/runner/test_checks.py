"""The runner's settings check: step timeouts must fit inside django-q's task timeout."""

from runner.checks import step_timeouts_fit_the_task_timeout


def test_the_default_timeouts_fit():
    assert step_timeouts_fit_the_task_timeout(None) == []


def test_steps_longer_than_the_task_timeout_are_an_error(settings):
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "timeout": 600}
    [error] = step_timeouts_fit_the_task_timeout(None)
    assert error.id == "runner.E001" and "Q_TASK_TIMEOUT" in error.hint
