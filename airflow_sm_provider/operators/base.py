"""The lifecycle every SageMaker job operator shares: validate, find-or-create, wait, publish.

``__init__`` stores; ``execute`` acts. Nothing here imports boto3 or the amazon provider at
module level: DAG files import operators in every parsing loop, and the hook (with boto3) is
only loaded when a task runs.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, ClassVar

from airflow.configuration import conf
from airflow.providers.common.compat.sdk import AirflowTaskTimeout
from airflow.sdk import BaseOperator

from airflow_sm_provider import naming, results, waiting
from airflow_sm_provider.compat import TaskDeferralTimeout
from airflow_sm_provider.exceptions import JobNameConflictError, JobTimeoutError
from airflow_sm_provider.hooks.mixin import SageMakerHookMixin
from airflow_sm_provider.jobs import JobKind, Outcome, classify
from airflow_sm_provider.links.sagemaker import XCOM_KEY, job_url, persist_job_link

if TYPE_CHECKING:
    from airflow.sdk import Context

ACTIONS_IF_JOB_EXISTS = ("fail", "timestamp", "increment")


class SageMakerJobOperator(SageMakerHookMixin, BaseOperator):
    """Base class of the training and tuning operators (see their docstrings for parameters)."""

    kind: ClassVar[JobKind]
    template_fields: tuple[str, ...] = ("config", "aws_conn_id", "region_name")
    template_fields_renderers: ClassVar[dict[str, str]] = {"config": "json"}
    ui_color = "#ede4ff"

    def __init__(
        self,
        *,
        config: Any,
        aws_conn_id: str | None = "aws_default",
        region_name: str | None = None,
        wait_for_completion: bool = True,
        check_interval: int = 30,
        max_ingestion_time: int | None = None,
        action_if_job_exists: str = "fail",
        stop_job_on_kill: bool = True,
        deferrable: bool = conf.getboolean("operators", "default_deferrable", fallback=False),
        xcom_format: str = "default",
        print_log: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.print_log = print_log
        if action_if_job_exists not in ACTIONS_IF_JOB_EXISTS:
            raise ValueError(
                f"action_if_job_exists must be one of {ACTIONS_IF_JOB_EXISTS}, got {action_if_job_exists!r}"
            )
        if xcom_format not in results.XCOM_FORMATS:
            raise ValueError(f"xcom_format must be one of {results.XCOM_FORMATS}, got {xcom_format!r}")
        self.xcom_format = xcom_format
        self.config = config
        self.aws_conn_id = aws_conn_id
        self.region_name = region_name
        self.wait_for_completion = wait_for_completion
        self.check_interval = check_interval
        self.max_ingestion_time = max_ingestion_time
        self.action_if_job_exists = action_if_job_exists
        self.stop_job_on_kill = stop_job_on_kill
        self.deferrable = deferrable
        self.job_name: str | None = None
        #: This try created the job (its output is shown from the start; a reattached job's from now).
        self._started_here = False
        #: A timeout already stopped the job or chose to leave it (on_kill, which Airflow calls
        #: after an execution_timeout, must not overrule that).
        self._timeout_decided = False

    # -- hooks for subclasses ------------------------------------------------------------------
    def build_request(self, context: Context) -> dict[str, Any]:
        """Render ``config`` into a new, normalised request dict (no API call)."""
        raise NotImplementedError

    def after_success(self, description: dict[str, Any]) -> None:
        """Look at a successful job before its result is published (may warn or raise)."""

    def validate_request(self, request: dict[str, Any], *, local_endpoint: bool) -> None:
        """Raise ConfigValidationError for an invalid request (no API call).

        :param local_endpoint: The job goes to an endpoint that is not AWS (the local backend),
            where ``file://`` URIs stand in for ``s3://``.
        """
        raise NotImplementedError

    # -- execute -----------------------------------------------------------------------------------
    def execute(self, context: Context) -> dict[str, Any]:
        request = self.build_request(context)
        identity = naming.TaskIdentity.from_context(context)
        # The first line of every job's log: where its calls go (a missing connection or region
        # fails here, before any API call).
        self.log.info("SageMaker %s via %s", self.kind.label, self.hook.describe_target())
        # Validate with the name the job will get: a derived name only grows by an attempt
        # suffix it has room for, so every problem is found here, before any API call.
        self.validate_request(
            {self.kind.name_key: naming.base_name(identity, self.kind.max_name_length), **request},
            local_endpoint=not self.hook.is_aws(),
        )
        description = waiting.ride_out(
            lambda: self._find_or_create(request, identity),
            f"starting the {self.kind.label}",
            self.log,
            pause=self.check_interval,
        )
        name = description[self.kind.name_key]
        self.job_name = name
        persist_job_link(self, context, self.kind, name, self.hook)

        if classify(self.kind, description).outcome is Outcome.SUCCEEDED:
            self.log.info("%s %s already completed: reusing its result", self.kind.label, name)
            return self._publish(context, description)
        if not self.wait_for_completion:
            return results.summary(self.kind, description, xcom_format=self.xcom_format)
        if self.deferrable:
            waiting.defer(
                self,
                self.kind,
                name,
                aws_conn_id=self.aws_conn_id,
                region_name=self.region_name,
                poll_interval=self.check_interval,
                timeout=self.max_ingestion_time,
                limit_name="max_ingestion_time",
                stop_job_on_kill=self.stop_job_on_kill,
                print_log=self.print_log,
                log_since_ms=None if self._started_here else int(time.time() * 1000),
            )
        try:
            description = waiting.wait(
                self.hook,
                waiting.Watcher(
                    self.kind, name, self.log, reporter=self._reporter(name, after_trigger=False)
                ),
                poll_interval=self.check_interval,
                timeout=self.max_ingestion_time,
                limit_name="max_ingestion_time",
                on_timeout=JobTimeoutError,
            )
        except (JobTimeoutError, AirflowTaskTimeout) as err:
            self._timed_out(context, name, err)
            raise
        return self._publish(context, description)

    def execute_complete(self, context: Context, event: dict[str, Any] | None = None) -> dict[str, Any]:
        """Resume after the trigger fired: fail with its message or publish the job's result."""
        results.refuse_other_job(event, self._recorded_job(context).get("job_name"))
        self.job_name = (event or {}).get("job_name")
        if self.job_name:
            persist_job_link(self, context, self.kind, self.job_name, self.hook)
        try:
            name = results.raise_for_event(event)["job_name"]
        except JobTimeoutError as err:
            if self.job_name:
                self._timed_out(context, self.job_name, err)
            raise
        description = waiting.ride_out(
            lambda: self.hook.describe(self.kind, name),
            f"reading the {self.kind.label}'s result",
            self.log,
            pause=self.check_interval,
        )
        reporter = self._reporter(name, after_trigger=True)
        if reporter is not None:
            reporter.finish(description)
        return self._publish(context, description)

    def resume_execution(self, next_method: str, next_kwargs: dict[str, Any] | None, context: Context) -> Any:
        """Also decide the job's fate when the deferral itself timed out (``execution_timeout``)."""
        try:
            return super().resume_execution(next_method, next_kwargs, context)
        except TaskDeferralTimeout as err:
            info = self._recorded_job(context)
            if info.get("job_name"):
                self._timed_out(context, info["job_name"], err)
            raise

    def _recorded_job(self, context: Context) -> dict[str, Any]:
        """The job this task instance recorded (the link XCom) before deferring, or ``{}``.

        ``map_indexes`` is this instance's own: without it a mapped task would get every
        instance's value.
        """
        ti = context["ti"]
        info = ti.xcom_pull(task_ids=self.task_id, key=XCOM_KEY, map_indexes=ti.map_index)
        return info if isinstance(info, dict) else {}

    def on_kill(self) -> None:
        if not (self.stop_job_on_kill and self.job_name) or self._timeout_decided:
            return
        self.log.info("Task killed: stopping SageMaker %s %s", self.kind.label, self.job_name)
        try:
            self.hook.stop(self.kind, self.job_name)
        except Exception as err:  # noqa: BLE001 - already finished, or AWS unreachable: nothing more to do
            self.log.warning("Could not stop %s %s: %s", self.kind.label, self.job_name, err)

    # -- find or create ----------------------------------------------------------------------------
    def _find_or_create(self, request: dict[str, Any], identity: naming.TaskIdentity) -> dict[str, Any]:
        explicit = request.get(self.kind.name_key)
        if explicit:
            return self._reattach_explicit(request, identity, explicit)
        base = naming.base_name(identity, self.kind.max_name_length)
        latest, attempt = self._latest_attempt(base)
        if latest is not None:
            verdict = classify(self.kind, latest)
            if verdict.outcome is not Outcome.FAILED:
                self.log.info(
                    "Reattaching to %s %s (%s)", self.kind.label, latest[self.kind.name_key], verdict.status
                )
                return latest
            self.log.info(
                "Previous %s %s ended %s: starting a fresh one",
                self.kind.label,
                latest[self.kind.name_key],
                verdict.status,
            )
        return self._create(request, naming.attempt_name(base, attempt + 1), identity)

    def _latest_attempt(self, base: str) -> tuple[dict[str, Any] | None, int]:
        """The newest job this task instance started (its Describe), and its attempt number."""
        response = self.hook.list_jobs(
            self.kind, NameContains=base, SortBy="CreationTime", SortOrder="Descending", MaxResults=100
        )
        attempts = [
            (n, summary[self.kind.name_key])
            for summary in response.get(self.kind.list_key, [])
            if (n := naming.attempt_of(summary[self.kind.name_key], base)) is not None
        ]
        if not attempts:
            return None, 0
        attempt, name = max(attempts)
        description = self._settled(self.hook.describe(self.kind, name))
        return description, attempt

    def _reattach_explicit(
        self, request: dict[str, Any], identity: naming.TaskIdentity, name: str
    ) -> dict[str, Any]:
        from airflow_sm_provider.transient import is_not_found

        try:
            existing = self.hook.describe(self.kind, name)
        except Exception as err:
            if not is_not_found(err):
                raise
            return self._create(request, name, identity)
        if naming.owned_by(self.hook.list_tags(existing[self.kind.arn_key]), identity):
            existing = self._settled(existing)
            if classify(self.kind, existing).outcome is not Outcome.FAILED:
                self.log.info("Reattaching to %s %s", self.kind.label, name)
                return existing
            return self._create(request, self._fresh_name(name), identity)
        if self.action_if_job_exists == "timestamp":
            return self._create(request, self._fresh_name(name), identity)
        if self.action_if_job_exists == "increment":
            return self._create(request, self._next_numbered_name(name), identity)
        raise JobNameConflictError(
            f"A SageMaker {self.kind.label} named {name!r} already exists and was not started by this task "
            f"instance. Choose another name, leave the name out of config to get a deterministic one, or set "
            f'action_if_job_exists="timestamp" (or "increment") to make the name unique.'
        )

    def _fresh_name(self, name: str) -> str:
        suffix = f"-{int(time.time())}"
        return name[: self.kind.max_name_length - len(suffix)].rstrip("-") + suffix

    def _next_numbered_name(self, name: str) -> str:
        """``name-N`` with N one more than the highest number any job named ``name-<number>`` has."""
        response = self.hook.list_jobs(self.kind, NameContains=name, MaxResults=100)
        taken = [
            int(suffix)
            for summary in response.get(self.kind.list_key, [])
            if (suffix := summary[self.kind.name_key].removeprefix(f"{name}-")).isdigit()
        ]
        suffix = f"-{max(taken, default=0) + 1}"
        return name[: self.kind.max_name_length - len(suffix)].rstrip("-") + suffix

    def _settled(self, description: dict[str, Any]) -> dict[str, Any]:
        """Wait out a ``Stopping`` job so a fresh attempt never overlaps a live one."""
        while description.get(self.kind.status_key) == "Stopping":
            time.sleep(min(self.check_interval, 10))
            description = self.hook.describe(self.kind, description[self.kind.name_key])
        return description

    def _create(self, request: dict[str, Any], name: str, identity: naming.TaskIdentity) -> dict[str, Any]:
        from airflow_sm_provider.transient import error_code

        final = {
            **request,
            self.kind.name_key: name,
            "Tags": naming.merge_tags(request.get("Tags"), identity.tags()),
        }
        try:
            response = self.hook.create(self.kind, final)
            self._started_here = True
        except Exception as err:
            # An earlier attempt's create may have reached SageMaker even though its answer never
            # reached us: if the job that holds the name is ours, it is the one to wait for.
            if error_code(err) != "ResourceInUse":
                raise
            existing = self.hook.describe(self.kind, name)
            if not naming.owned_by(self.hook.list_tags(existing[self.kind.arn_key]), identity):
                raise
            self.log.info(
                "%s %s was already created by this task instance: reattaching", self.kind.label, name
            )
            return existing
        region = self.hook.region_name
        url = job_url(self.kind, region, name) if region else ""
        self.log.info(
            "Started SageMaker %s %s (%s) %s", self.kind.label, name, response.get(self.kind.arn_key), url
        )
        return self.hook.describe(self.kind, name)

    def _reporter(self, name: str, *, after_trigger: bool) -> Any:
        """What the task log shows of the job besides its status (``print_log``), from the row."""
        if not (self.print_log and self.kind.reporter):
            return None
        since_ms = None
        if not self._started_here or after_trigger:
            # a job this try did not start: its earlier output is not repeated (it is in CloudWatch
            # Logs, one click away through the Training Logs link)
            since_ms = int(time.time() * 1000)
            if not after_trigger and self.kind.has_log_streams:
                self.log.info("Showing the output of %s %s from now on", self.kind.label, name)
        return self.kind.reporter(self.hook, name, self.log, since_ms, after_trigger)

    def _timed_out(self, context: Context, name: str, err: BaseException) -> None:
        """A wait ran out of time: stop the job if this task will not be retried, else leave it.

        A retry reattaches to a job that is still running, so leaving it loses nothing; a last
        try that gives up would leave it billing with nobody waiting. ``stop_job_on_kill=False``
        always leaves it.
        """
        self._timeout_decided = True
        ti = context["ti"]
        retried = ti.try_number <= (self.retries or 0)
        if retried or not self.stop_job_on_kill:
            why = "a retry of this task reattaches to it" if retried else "stop_job_on_kill=False"
            self.log.error("%s: SageMaker %s %s was left running (%s)", err, self.kind.label, name, why)
            return
        self.log.error(
            "%s: this task will not be retried, so SageMaker %s %s is being stopped",
            err,
            self.kind.label,
            name,
        )
        try:
            self.hook.stop(self.kind, name)
        except Exception as stop_error:  # noqa: BLE001 - it may have just finished; the timeout stands
            self.log.warning("Could not stop %s %s: %s", self.kind.label, name, stop_error)

    def _publish(self, context: Context, description: dict[str, Any]) -> dict[str, Any]:
        result = waiting.ride_out(
            lambda: results.publish(self.kind, self.hook, context, description, xcom_format=self.xcom_format),
            f"reading the {self.kind.label}'s result",
            self.log,
            pause=self.check_interval,
        )
        self.after_success(description)
        return result
