"""A worker executing one run: claim it, prepare a workspace, run Terraform step by step.

A plan run (a request waiting for approval): init → plan -out → show -json and show →
the plan saved in the database for the approvers; nothing is applied.
An apply run: init → apply of the approved saved plan (or, auto-approved, a plan made
now) → output -json → catalog active, request applied. When the approved plan is stale
(Terraform refuses it), the runner plans again: a plan within what was approved is
applied, any other goes back to the approvers. Every plan that would delete or replace
a bucket or its data is refused (runner.plan_changes). Each step is audited; any failure
ends the run with a reason a person understands. A heartbeat thread writes the log so
far and looks for a cancel request while Terraform runs.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import socket
import threading
import time
from contextlib import contextmanager
from pathlib import Path

from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings
from django.db import close_old_connections, connection, transaction
from django.utils import timezone

from core import audit
from requests_app import catalog, status_machine
from requests_app.contract import ContractSchemaError, load_contract, terraform_variables
from requests_app.imports import adopts_existing_bucket
from requests_app.platform_policy import current_policy
from runner import adoption, aws, outcomes, saved_plans
from runner.environment import run_environment
from runner.logbound import append_bounded
from runner.models import Run, RunKind, RunStatus, SavedPlan
from runner.plan_changes import destroy_refusal, plan_changes, within_approval
from runner.state_backend import backend_target, lock_client, release_dead_runs_lock
from runner.state_lock import LockInfo, LockWatcher, lock_path
from runner.step_times import FAILED, StepClock
from runner.terraform_cli import bundled_terraform_path
from runner.terraform_output import error_summary, output_values, plan_summary, resource_changes
from runner.terraform_process import CommandResult, Outcome, run_command
from runner.workspace import Workspace, prepare_workspace, provider_versions

logger = logging.getLogger(__name__)
ACTOR = "runner"
LOCKING_STEPS = ("plan", "apply")  # the steps that hold the state lock while they run


class RunStopped(Exception):
    """The run cannot go on; ``status`` is how it ends and the message says why."""

    def __init__(self, status: str, reason: str):
        super().__init__(reason)
        self.status = status
        self.reason = reason


class BackToApproval(Exception):
    """The approved plan was stale and the new plan does something else: approvers decide again."""

    def __init__(self, plan: SavedPlan, reason: str):
        super().__init__(reason)
        self.plan = plan
        self.reason = reason


STALE_PLAN_MARKER = "Saved plan is stale"


class LiveLog:
    """Terraform's output so far, bounded, written to by the output reader threads."""

    def __init__(self, limit: int):
        self._limit = limit
        self._text = ""
        self._lock = threading.Lock()

    def append(self, text: str) -> None:
        with self._lock:
            self._text = append_bounded(self._text, text, self._limit)

    @property
    def text(self) -> str:
        with self._lock:
            return self._text


class Heartbeat(threading.Thread):
    """Every few seconds: heartbeat and log to the run row; notice a cancel request.

    ``stop_requested`` is also set when the run is no longer ``running`` (the sweeper ended
    it after missed heartbeats): its Terraform must stop rather than race the retry's.
    """

    def __init__(self, run_id: int, live_log: LiveLog, interval: float):
        super().__init__(name=f"heartbeat-run-{run_id}", daemon=True)
        self.run_id = run_id
        self.live_log = live_log
        self.interval = interval
        self.stop_requested = threading.Event()
        self._stopped = threading.Event()

    def run(self) -> None:
        try:
            while not self._stopped.wait(self.interval):
                self.beat()
        finally:
            connection.close()

    def beat(self) -> None:
        try:
            still_running = Run.objects.filter(pk=self.run_id, status=RunStatus.RUNNING).update(
                heartbeat_at=timezone.now(), log=self.live_log.text
            )
            if (
                not still_running
                or Run.objects.filter(pk=self.run_id, cancel_requested_at__isnull=False).exists()
            ):
                self.stop_requested.set()
        except Exception:  # a busy database must not end the run; the next beat tries again
            logger.warning("heartbeat of run %s failed", self.run_id, exc_info=True)

    def stop(self) -> None:
        self._stopped.set()
        self.join()


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def execute_run(run_id: int) -> str:
    """Execute run ``run_id`` if it is still queued; returns the status it ended in (or found)."""
    close_old_connections()
    try:
        run, claimed = _claim(run_id)
    except Exception as exc:  # whatever stops the claim, the run must end, not be handed over again
        logger.exception("run %s could not be claimed", run_id)
        return outcomes.fail_unstarted(run_id, actor=ACTOR, reason=f"{outcomes.NOT_STARTED} {exc}")
    if not claimed:
        return run.status
    clock = StepClock()
    clock.start("claim", at=run.started_at)
    clock.end()
    live_log = LiveLog(settings.RUNNER_LOG_MAX_CHARS)
    heartbeat = Heartbeat(run.pk, live_log, settings.RUNNER_HEARTBEAT_SECONDS)
    heartbeat.start()
    workspace_root = Path(settings.TERRAFORM_WORK_DIR) / run.request.request_id / f"run-{run.pk}"
    steps = TerraformSteps(run, workspace_root, live_log, heartbeat.stop_requested, clock)
    ending = None
    try:
        result = steps.plan_for_approval() if run.kind == RunKind.PLAN else steps.apply()
    except RunStopped as stopped:
        ending = (stopped.status, stopped.reason)
    except BackToApproval as back:
        ending = back
    except Exception as exc:  # a bug or an environment problem: the run must still end
        logger.exception("run %s failed unexpectedly", run.pk)
        ending = (RunStatus.FAILED, f"The runner failed unexpectedly: {exc}")
    finally:
        heartbeat.stop()
        if not settings.RUNNER_KEEP_WORKSPACES:
            shutil.rmtree(workspace_root, ignore_errors=True)
    clock.end(_outcome_of(ending))  # a step an exception left open
    clock.start("finish")
    if isinstance(ending, BackToApproval):
        return _return_to_approval(run.pk, ending, live_log, clock)
    if ending:
        return _end(run.pk, *ending, live_log, clock)
    if run.kind == RunKind.PLAN:
        return _planned(run.pk, result, live_log, clock)
    return _succeed(run.pk, result, live_log, clock)


def _record_finish(run: Run, clock: StepClock) -> None:
    """The last step (recording the outcome: run, request, catalog, audit) ends with the run, in its
    transaction: the run's end is when its records were written, and every step lies within it."""
    now = timezone.now()
    clock.end(at=now)
    Run.objects.filter(pk=run.pk).update(steps=clock.steps, finished_at=now)


@transaction.atomic
def _claim(run_id: int) -> tuple[Run, bool]:
    """Lock the run; if it is queued, make it ours (a second delivery finds it taken)."""
    run = Run.objects.select_for_update().select_related("request").get(pk=run_id)
    if run.status != RunStatus.QUEUED:
        logger.info("run %s is %s: nothing to do", run_id, run.status)
        return run, False
    if run.kind == RunKind.PLAN and not outcomes.waits_for_plan(run.request):
        request = run.request
        outcomes.finish(
            run,
            RunStatus.CANCELLED,
            actor=ACTOR,
            reason=f"Not run: {request.request_id} is {request.get_status_display().lower()} "
            "and no longer waits for a plan.",
        )
        return run, False
    now = timezone.now()
    run.status = RunStatus.RUNNING
    run.started_at = run.heartbeat_at = now
    run.worker = worker_name()
    run.save(update_fields=["status", "started_at", "heartbeat_at", "worker"])
    audit.record(
        "run.started",
        actor=ACTOR,
        request=run.request,
        detail={"run": run.pk, "kind": run.kind, "attempt": run.attempt, "worker": run.worker},
    )
    if run.kind == RunKind.APPLY:
        status_machine.transition(run.request, "start_apply", actor=ACTOR, detail={"run": run.pk})
        catalog.mark_provisioning(run.request, actor=ACTOR)
    return run, True


@transaction.atomic
def _end(run_id: int, status: str, reason: str, live_log: LiveLog, clock: StepClock) -> str:
    run = Run.objects.select_for_update().select_related("request").get(pk=run_id)
    if run.status != RunStatus.RUNNING:
        return run.status  # the sweeper already ended it
    outcomes.finish(run, status, actor=ACTOR, reason=reason, log=live_log.text)
    _record_finish(run, clock)
    return status


@transaction.atomic
def _succeed(run_id: int, outputs: dict, live_log: LiveLog, clock: StepClock) -> str:
    run = Run.objects.select_for_update().select_related("request").get(pk=run_id)
    if run.status != RunStatus.RUNNING:
        return run.status
    outcomes.succeed(run, actor=ACTOR, outputs=outputs, log=live_log.text)
    _record_finish(run, clock)
    return RunStatus.SUCCEEDED


@transaction.atomic
def _planned(run_id: int, plan: SavedPlan, live_log: LiveLog, clock: StepClock) -> str:
    run = Run.objects.select_for_update().select_related("request").get(pk=run_id)
    if run.status != RunStatus.RUNNING:
        return run.status
    outcomes.planned(run, plan, actor=ACTOR, log=live_log.text)
    _record_finish(run, clock)
    return RunStatus.SUCCEEDED


@transaction.atomic
def _return_to_approval(run_id: int, back: BackToApproval, live_log: LiveLog, clock: StepClock) -> str:
    run = Run.objects.select_for_update().select_related("request").get(pk=run_id)
    if run.status != RunStatus.RUNNING:
        return run.status
    outcomes.returned_to_approval(run, back.plan, actor=ACTOR, reason=back.reason, log=live_log.text)
    _record_finish(run, clock)
    return RunStatus.RETURNED


def _outcome_of(ending) -> str:
    """The outcome of the step a run's ending interrupted."""
    if isinstance(ending, BackToApproval):
        return RunStatus.RETURNED
    return ending[0] if isinstance(ending, tuple) else FAILED


def step_outcome(result: CommandResult) -> str:
    if result.outcome != Outcome.COMPLETED:
        return result.outcome  # cancelled, timed_out: the run's status names
    return RunStatus.SUCCEEDED if result.exit_code == 0 else RunStatus.FAILED


# (binary path, modification time, size) → the Terraform version it reported.
KNOWN_VERSIONS: dict[tuple, str] = {}


def _binary_identity(binary: str) -> tuple:
    path = shutil.which(binary) or binary
    try:
        found = os.stat(path)
    except OSError:
        return (path,)
    return (os.path.realpath(path), found.st_mtime_ns, found.st_size)


def terraform_binary() -> str:
    """TERRAFORM_BINARY (a system terraform or tofu), else the bundled Terraform's shim."""
    return settings.TERRAFORM_BINARY or str(bundled_terraform_path(Path(settings.VAR_DIR) / "bin"))


class TerraformSteps:
    """The steps of one run, each recorded on the run row and in the audit trail."""

    def __init__(
        self,
        run: Run,
        workspace_root: Path,
        live_log: LiveLog,
        stop_requested: threading.Event,
        clock: StepClock,
    ):
        self.run = run
        self.clock = clock
        self.workspace_root = workspace_root
        self.live_log = live_log
        self.stop_requested = stop_requested
        self.binary = terraform_binary()
        self.workspace: Workspace | None = None
        self.backend = backend_target(run.state_key)

    def plan_for_approval(self) -> SavedPlan:
        """A plan run: the plan approvers vote on, saved; nothing is applied."""
        self._start()
        return self._plan()

    def apply(self) -> dict:
        """An apply run: the approved plan (or, auto-approved, a plan made now), then the outputs."""
        self._start()
        approved = saved_plans.approved_plan(self.run.request)
        if approved is None:
            self._apply(self._plan())
        else:
            self._apply_approved(approved)
        outputs = output_values(json.loads(self._terraform("output", ["output", "-json"], quiet=True).stdout))
        self._save(outputs=outputs)
        return outputs

    def _start(self) -> None:
        self.workspace = self._prepare()
        self._save(terraform_version=self._terraform_version())
        self._terraform("init", ["init", "-input=false", "-no-color", "-lockfile=readonly"], audited=True)
        self._save(provider_versions=provider_versions(self.workspace.config_dir))

    def _terraform_version(self) -> str:
        """`terraform version -json`, asked once per worker process and binary file (each command of
        the bundled Terraform costs a Python start and a library load, a third of a second)."""
        identity = _binary_identity(self.binary)
        if identity not in KNOWN_VERSIONS:
            version = json.loads(self._terraform("version", ["version", "-json"], quiet=True).stdout)
            KNOWN_VERSIONS[identity] = version.get("terraform_version", "")
        return KNOWN_VERSIONS[identity]

    def _plan(self) -> SavedPlan:
        """Plan now, save the plan in the database, and refuse it if it destroys data."""
        plan_path = self.workspace.plan_file
        show_json = self._plan_and_show(plan_path)
        rendered = self._terraform("show", ["show", "-no-color", str(plan_path)], quiet=True).stdout
        changes = plan_changes(show_json)
        with self._timed("save plan"):
            saved = saved_plans.save_plan(
                self.run,
                plan_file=plan_path.read_bytes(),
                show_json=show_json,
                rendered=rendered,
                changes=changes,
            )
            summary = plan_summary(show_json)
            self._save(
                plan_summary=summary, resource_changes=resource_changes(show_json), plan_sha256=saved.sha256
            )
            self._audit(
                "run.planned",
                summary=summary,
                plan_sha256=saved.sha256,
                changes=[f"{change['action']} {change['address']}" for change in changes],
            )
            self._refuse_if_destructive(saved)
        return saved

    def _refuse_if_destructive(self, plan: SavedPlan) -> None:
        refusal = destroy_refusal(plan.changes)
        if refusal:
            self._audit("run.plan_refused", plan_sha256=plan.sha256, reason=refusal)
            raise RunStopped(RunStatus.FAILED, refusal)

    def _apply_approved(self, approved: SavedPlan) -> None:
        """Apply the plan approvers voted on; if Terraform finds it stale, plan again and compare."""
        self._refuse_if_destructive(approved)
        if approved.contract_hash != self.run.request.contract_hash:
            self._audit("run.plan_stale", plan_sha256=approved.sha256, reason="the contract changed")
            raise BackToApproval(
                self._plan(),
                "Returned to approval: the contract changed after its plan was "
                "approved. Approvers vote on the new plan.",
            )
        try:
            saved_plans.write_plan_file(approved, self.workspace.plan_file)
        except saved_plans.PlanFileDamaged as damaged:
            raise RunStopped(RunStatus.FAILED, str(damaged)) from damaged
        self._save(plan_sha256=approved.sha256, resource_changes=resource_changes(approved.show_json))
        if self._existing_objects(approved.show_json):  # an earlier attempt created part of it: adopt, below
            self._audit(
                "run.plan_stale",
                plan_sha256=approved.sha256,
                reason="an earlier attempt created some of its resources",
            )
        else:
            result = self._step("apply", self._apply_args())
            if not (result.outcome == Outcome.COMPLETED and STALE_PLAN_MARKER in result.stderr):
                self._raise_unless_succeeded("apply", result)
                self._audit("run.applied", plan_sha256=approved.sha256, approved_plan=True)
                return
            self._audit("run.plan_stale", plan_sha256=approved.sha256, reason="the state changed")
        fresh = self._plan()
        if not within_approval(approved.changes, fresh.changes):
            raise BackToApproval(
                fresh,
                "Returned to approval: the state changed after the plan was approved, "
                "so Terraform planned again, and the new plan changes other resources "
                "or other actions than the approved one. Approvers vote on the new plan.",
            )
        self._audit(
            "run.plan_within_approval", approved_plan_sha256=approved.sha256, plan_sha256=fresh.sha256
        )
        self._apply(fresh)

    def _apply(self, plan: SavedPlan) -> None:
        """Apply a plan this run made (still in the workspace)."""
        self._terraform("apply", self._apply_args())
        self._audit("run.applied", plan_sha256=plan.sha256)

    def _apply_args(self) -> list[str]:
        return ["apply", "-input=false", "-no-color", "-lock-timeout=60s", str(self.workspace.plan_file)]

    def _plan_and_show(self, plan_path: Path) -> dict:
        """plan -out and show -json; on a retry, again with import blocks for what an earlier attempt
        created but did not get into the state (runner/adoption.py)."""
        plan_args = ["plan", "-input=false", "-no-color", "-lock-timeout=60s", f"-out={plan_path}"]
        self._terraform("plan", plan_args)
        show_json = json.loads(self._terraform("show", ["show", "-json", str(plan_path)], quiet=True).stdout)
        imports = self._existing_objects(show_json)
        if not imports:
            return show_json
        adoption.write_imports(self.workspace.config_dir, imports)
        self._audit("run.adopting", imports=imports)
        self.live_log.append(f"Adopting what an earlier attempt created: {', '.join(sorted(imports))}\n")
        self._terraform("plan", plan_args)
        return json.loads(self._terraform("show", ["show", "-json", str(plan_path)], quiet=True).stdout)

    def _existing_objects(self, plan: dict) -> dict[str, str]:
        """What earlier applies of this request that stopped during apply planned to create, and exists;
        for a request adopting an existing bucket, every planned create that exists."""
        if adopts_existing_bucket(self.run.request):
            return self._look_up(lambda client: adoption.adopted_objects(plan, client))
        partial_applies = (
            Run.objects.filter(request=self.run.request_id, step="apply")
            .exclude(pk=self.run.pk)
            .values_list("resource_changes", flat=True)
        )
        earlier_creates = {
            change["address"]
            for changes in partial_applies
            for change in changes
            if "create" in change.get("actions", [])
        }
        if not earlier_creates:
            return {}
        return self._look_up(lambda client: adoption.existing_objects(plan, earlier_creates, client))

    def _look_up(self, find) -> dict[str, str]:
        """``find(client)`` with AWS clients acting for the request's environment."""
        environment = self.run.request.environment
        try:
            return find(lambda service: aws.client(service, environment))
        except (BotoCoreError, ClientError) as exc:
            raise RunStopped(RunStatus.FAILED, f"Could not check what exists in AWS: {exc}") from exc

    @contextmanager
    def _timed(self, name: str):
        """A step of the runner's own (no Terraform command), timed like one."""
        self.clock.start(name)
        self._save(steps=self.clock.steps)
        try:
            yield
        except RunStopped as stopped:
            self.clock.end(stopped.status)
            raise
        except BackToApproval:
            self.clock.end(RunStatus.RETURNED)  # not a failure: approvers decide on the new plan
            raise
        except BaseException:
            self.clock.end(FAILED)
            raise
        self.clock.end()

    def _prepare(self) -> Workspace:
        with self._timed("prepare"):
            return self._prepare_workspace()

    def _prepare_workspace(self) -> Workspace:
        request = self.run.request
        try:
            contract = load_contract(request.contract)
        except ContractSchemaError as exc:
            raise RunStopped(
                RunStatus.FAILED, f"The stored contract of {request.request_id} does not load: {exc}"
            ) from exc
        role_arn = aws.role_arn(request.environment)
        self._save(aws_role_arn=role_arn)
        variables = {
            **terraform_variables(contract, current_policy()),
            "aws_region": settings.AWS_REGION,
            "aws_endpoint_url": settings.AWS_ENDPOINT_URL,
            "aws_role_arn": role_arn,
        }
        self.backend = backend_target(self.run.state_key, role_arn)
        release_dead_runs_lock(request, actor=ACTOR)  # a lock a killed run left would stop this one
        workspace = prepare_workspace(
            self.workspace_root,
            stack_dir=Path(settings.TERRAFORM_STACK_DIR),
            variables=variables,
            backend=self.backend,
            plugin_cache_dir=Path(settings.TERRAFORM_PLUGIN_CACHE_DIR),
            provider_mirror=settings.TERRAFORM_PROVIDER_MIRROR,
        )
        self._audit(
            "run.workspace_prepared",
            state_key=self.run.state_key,
            backend="s3" if settings.TERRAFORM_STATE_BUCKET else "local",
        )
        return workspace

    def _terraform(
        self, step: str, args: list[str], *, quiet: bool = False, audited: bool = False
    ) -> CommandResult:
        """Run one step; raise RunStopped unless Terraform succeeded."""
        result = self._step(step, args, quiet=quiet, audited=audited)
        self._raise_unless_succeeded(step, result)
        return result

    def _step(
        self, step: str, args: list[str], *, quiet: bool = False, audited: bool = False
    ) -> CommandResult:
        """Run one step and return how it went, whatever that was.

        Its start is written at once (with the end of the step before); its end with the next step's
        start or the run's outcome, so a run whose worker died shows the step it stopped in."""
        self.clock.start(" ".join([args[0], *(arg for arg in args[1:] if arg == "-json")]))
        self._save(step=step, steps=self.clock.steps)
        if not quiet:
            self.live_log.append(f"$ terraform {' '.join(args)}\n")
        started = time.monotonic()
        with self._recording_state_lock(step):
            result = run_command(
                [self.binary, *args],
                cwd=self.workspace.config_dir,
                env=self._environment(),
                timeout_seconds=settings.RUNNER_STEP_TIMEOUTS[step],
                grace_seconds=settings.RUNNER_CANCEL_GRACE_SECONDS,
                on_output=(lambda line: None) if quiet else self.live_log.append,
                should_stop=self.stop_requested.is_set,
            )
        seconds = round(time.monotonic() - started, 3)
        self.clock.end(step_outcome(result))
        if quiet and not result.succeeded:
            self.live_log.append(result.stderr)
        if audited:
            self._audit(f"run.{step}", exit_code=result.exit_code, seconds=seconds)
        return result

    @contextmanager
    def _recording_state_lock(self, step: str):
        """During a step that locks S3 state, record the lock its Terraform takes (runner/state_lock.py)."""
        if step not in LOCKING_STEPS or not self.backend.bucket:
            yield
            return
        environment = self.run.request.environment
        watcher = LockWatcher(
            self.backend,
            lambda: lock_client(self.backend, environment),
            self._record_lock,
            since=timezone.now(),
            on_exit=lambda: connection.close(),
        )
        watcher.start()
        try:
            yield
        finally:
            watcher.stop()

    def _record_lock(self, lock: LockInfo) -> None:
        self._save(state_lock_id=lock.id, state_lock_path=lock_path(self.backend))

    def _raise_unless_succeeded(self, step: str, result: CommandResult) -> None:
        if result.outcome == Outcome.CANCELLED:
            who = Run.objects.values_list("cancel_requested_by", flat=True).get(pk=self.run.pk) or "someone"
            raise RunStopped(
                RunStatus.CANCELLED,
                f"Cancelled by {who} during terraform {step}; Terraform was interrupted and saved its state.",
            )
        if result.outcome == Outcome.TIMED_OUT:
            raise RunStopped(
                RunStatus.TIMED_OUT,
                f"terraform {step} took longer than "
                f"{settings.RUNNER_STEP_TIMEOUTS[step]} seconds and was stopped.",
            )
        if result.exit_code != 0:
            raise RunStopped(RunStatus.FAILED, f"terraform {step} failed: {error_summary(result.stderr)}")

    def _environment(self) -> dict:
        """The allow-listed environment (runner.environment) plus this run's Terraform settings."""
        environment = run_environment(
            {
                "TF_IN_AUTOMATION": "1",
                "TF_INPUT": "0",
                "CHECKPOINT_DISABLE": "1",
                "TF_CLI_CONFIG_FILE": str(self.workspace.cli_config_file),
            },
            passthrough=settings.TERRAFORM_ENV_PASSTHROUGH,
        )
        if settings.AWS_ENDPOINT_URL:  # a local AWS accepts any credentials; Terraform wants some
            environment.setdefault("AWS_ACCESS_KEY_ID", "testing")
            environment.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
        return environment

    def _save(self, **fields) -> None:
        Run.objects.filter(pk=self.run.pk).update(**fields)

    def _audit(self, action: str, **detail) -> None:
        audit.record(action, actor=ACTOR, request=self.run.request, detail={"run": self.run.pk, **detail})
