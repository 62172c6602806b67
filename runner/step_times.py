"""When each step of a run started and ended: kept on the run row (``Run.steps``), shown on its page,
in the API and in the admin.

A step is one entry ``{"step", "started_at", "finished_at", "seconds", "outcome"}`` (times in UTC,
ISO 8601; ``seconds`` is the wall time between them, rounded to the millisecond). ``outcome`` is
``succeeded``, ``failed``, ``cancelled``, ``timed_out`` or ``returned`` (the new plan goes back to the
approvers); a step whose worker died before it
ended keeps ``finished_at`` null and an empty outcome: the step the run stopped in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

SUCCEEDED = "succeeded"
FAILED = "failed"


class StepClock:
    """The steps of the run a worker is executing, in the order they ran."""

    def __init__(self) -> None:
        self.steps: list[dict] = []

    def start(self, name: str, at: datetime | None = None) -> None:
        """A new step begins (the step before it must have ended)."""
        self.steps.append(
            {
                "step": name,
                "started_at": (at or timezone.now()).isoformat(),
                "finished_at": None,
                "seconds": None,
                "outcome": "",
            }
        )

    def end(self, outcome: str = SUCCEEDED, at: datetime | None = None) -> None:
        """The step in progress ended (nothing happens when none is in progress)."""
        if not self.steps or self.steps[-1]["finished_at"] is not None:
            return
        step = self.steps[-1]
        finished = at or timezone.now()
        step["finished_at"] = finished.isoformat()
        step["seconds"] = round(
            max((finished - datetime.fromisoformat(step["started_at"])).total_seconds(), 0), 3
        )
        step["outcome"] = outcome


@dataclass(frozen=True)
class StepRow:
    """One step as the run page and the admin show it."""

    name: str
    started_at: datetime
    duration: str
    outcome: str
    stopped_here: bool  # the run ended in this step (worker died, failure, cancel, timeout)


def step_rows(steps: list[dict], *, run_active: bool, now: datetime | None = None) -> list[StepRow]:
    """The rows of ``steps``; the step in progress of an active run says how long it has run by ``now``."""
    now = now or timezone.now()
    rows = []
    for step in steps:
        seconds = step.get("seconds")
        unfinished = step.get("finished_at") is None
        started_at = datetime.fromisoformat(step["started_at"])
        if not unfinished:
            duration = format_seconds(seconds)
        elif run_active:
            duration = f"running for {format_seconds(max((now - started_at).total_seconds(), 0))}"
        else:
            duration = "did not finish"
        rows.append(
            StepRow(
                name=step["step"],
                started_at=started_at,
                duration=duration,
                outcome=step.get("outcome") or ("" if run_active else "stopped"),
                stopped_here=not run_active and (unfinished or step.get("outcome") != SUCCEEDED),
            )
        )
    return rows


def format_seconds(seconds: float) -> str:
    """0.42 s, 12.3 s, 1 min 5 s."""
    if seconds < 10:
        return f"{seconds:.2f} s"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(int(seconds), 60)
    return f"{minutes} min {rest} s"
