"""What a task log shows of a job while it runs, beyond its status: training output, trial ends.

A reporter is made per wait from the kind's row (``JobKind.reporter``) and fed every Describe*
response of the wait; :class:`~airflow_sm_provider.waiting.Watcher` calls :meth:`poll` on each and
:meth:`finish` once the job is over.

- :class:`TrainingOutput` copies the training script's output from CloudWatch Logs, each line
  once, prefixed with its instance (:mod:`airflow_sm_provider.logtail`).
- :class:`TrialProgress` logs one line per finished trial of a tuning job and, at the end, the
  leaderboard (:mod:`airflow_sm_provider.leaderboard`). It lists the trials only when the job's
  counters say that a trial ended, so a quiet tuning job costs no calls.

Every reporter can say how far it has shown its job (:meth:`Reporter.state`, JSON) and carry on
from there (:meth:`Reporter.restore`): :class:`KeptInTaskState` keeps that place in Airflow's task
state store, so a sensor that is a new process at every poke (reschedule mode) still shows each
line once, while the job runs.

Reading what a job printed is best effort: a connection without CloudWatch Logs access loses the
output, never the task.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from airflow_sm_provider import leaderboard, logtail

if TYPE_CHECKING:
    from airflow_sm_provider.hooks.sagemaker import SageMakerHook


class Reporter(Protocol):
    def poll(self, description: dict[str, Any]) -> None: ...

    def finish(self, description: dict[str, Any]) -> None: ...

    def state(self) -> dict[str, Any]: ...

    def restore(self, state: dict[str, Any]) -> None: ...


class TrainingOutput:
    """The training script's output in the task log, as the job writes it."""

    def __init__(self, hook: SageMakerHook, cursor: logtail.LogCursor, log: Any) -> None:
        self.hook = hook
        self.cursor = cursor
        self.log = log
        self._client: Any = None
        self._off = False

    def poll(self, description: dict[str, Any]) -> None:
        self._tail()

    def finish(self, description: dict[str, Any]) -> None:
        self._tail()

    def state(self) -> dict[str, Any]:
        return self.cursor.to_dict()

    def restore(self, state: dict[str, Any]) -> None:
        self.cursor = logtail.LogCursor.from_dict({**state, "job_name": self.cursor.job_name})

    def _tail(self) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        from airflow_sm_provider.transient import is_transient

        if self._off:
            return
        run = logtail.TailRun(self.cursor)
        try:
            if self._client is None:
                self._client = self.hook.logs_client()
            while (request := run.next_request()) is not None:
                run.feed(self._client.filter_log_events(**request))
        except (BotoCoreError, ClientError) as err:
            if not is_transient(err):  # a transient error: the next poll reads on from the cursor
                self._off = True
                self.log.info(
                    "The output of training job %s cannot be read from CloudWatch Logs (%s); the "
                    "task log will not show it",
                    self.cursor.job_name,
                    err,
                )
        finally:
            for line in run.batch.report():  # what was read before an error is shown too
                self.log.info("%s", line)


class TrialProgress:
    """One line per finished trial, then the leaderboard table when the tuning job is over."""

    def __init__(self, hook: SageMakerHook, tuning_job_name: str, log: Any, *, trial_lines: bool = True):
        self.hook = hook
        self.name = tuning_job_name
        self.log = log
        self.trial_lines = trial_lines
        self._reported: set[str] = set()
        self._ended_count = 0

    def poll(self, description: dict[str, Any]) -> None:
        counters = description.get("TrainingJobStatusCounters") or {}
        ended = sum(v for k, v in counters.items() if k != "InProgress")
        if not self.trial_lines or ended == self._ended_count:
            return
        self._ended_count = ended
        self._report(self.hook.list_trials(self.name), description)

    def state(self) -> dict[str, Any]:
        return {"reported": sorted(self._reported), "ended": self._ended_count}

    def restore(self, state: dict[str, Any]) -> None:
        self._reported = set(state.get("reported") or ())
        self._ended_count = int(state.get("ended") or 0)

    def finish(self, description: dict[str, Any]) -> None:
        trials = self.hook.list_trials(self.name)
        if self.trial_lines:
            self._report(trials, description)
        if not trials:
            return
        objective = (description.get("HyperParameterTuningJobConfig") or {}).get(
            "HyperParameterTuningJobObjective"
        ) or {}
        best = (description.get("OverallBestTrainingJob") or description.get("BestTrainingJob") or {}).get(
            "TrainingJobName"
        )
        text = leaderboard.table(
            trials,
            metric_name=objective.get("MetricName"),
            minimize=objective.get("Type", "Minimize") == "Minimize",
            best=best,
        )
        self.log.info("Leaderboard of %s (* best):\n%s", self.name, text)

    def _report(self, trials: list[dict[str, Any]], description: dict[str, Any]) -> None:
        objective = (description.get("HyperParameterTuningJobConfig") or {}).get(
            "HyperParameterTuningJobObjective"
        ) or {}
        ended = [t for t in trials if t.get("TrainingJobStatus") in leaderboard.TERMINAL]
        for trial in sorted(ended, key=lambda t: str(t.get("TrainingEndTime") or t["TrainingJobName"])):
            if trial["TrainingJobName"] not in self._reported:
                self._reported.add(trial["TrainingJobName"])
                self.log.info("%s", leaderboard.trial_line(trial, objective.get("MetricName")))


#: The task state store key under which a sensor keeps how far it has shown its job.
PLACE_KEY = "airflow_sm_provider.shown"


class KeptInTaskState:
    """A reporter whose place outlives the process, kept in Airflow's task state store.

    A sensor in reschedule mode is a new process at every poke, and Airflow clears a task's XComs
    each time, so nothing in memory or XCom says what the previous poke showed. Airflow 3.3+ gives
    each task instance a durable key/value store (``context["task_state_store"]``, scoped to the
    task instance across its pokes and tries): the place is read at the first poke, written after
    a poke that showed something, and deleted when the job has ended. Each poke then shows only
    what is new, and a retry carries on where the previous try stopped instead of repeating it.

    The store is a convenience, never a reason to fail: if it cannot be read or written, the
    reporter goes on from what it knows and says so once.
    """

    def __init__(self, reporter: Any, store: Any, job_name: str, try_number: int, log: Any) -> None:
        self.reporter = reporter
        self.store = store
        self.job_name = job_name
        self.try_number = try_number
        self.log = log
        self._saved: dict[str, Any] | None = None
        self._broken = False
        kept = self._call("read", lambda: store.get(PLACE_KEY))
        if isinstance(kept, dict) and kept.get("job") == job_name and isinstance(kept.get("state"), dict):
            reporter.restore(kept["state"])
            self._saved = kept
            if kept.get("try") != try_number:
                log.info(
                    "Showing %s's output from where try %s left it (what it showed is in its log)",
                    job_name,
                    kept.get("try"),
                )

    def poll(self, description: dict[str, Any]) -> None:
        self.reporter.poll(description)
        place = {"job": self.job_name, "try": self.try_number, "state": self.reporter.state()}
        if (
            place != self._saved
            and self._call("write", lambda: self.store.set(PLACE_KEY, place)) is not False
        ):
            self._saved = place

    def finish(self, description: dict[str, Any]) -> None:
        self.reporter.finish(description)
        self.forget()

    def state(self) -> dict[str, Any]:
        state: dict[str, Any] = self.reporter.state()
        return state

    def forget(self) -> None:
        if self._saved is not None and not self._broken:
            forget_place(self.store, self.log)
            self._saved = None

    def _call(self, what: str, step: Any) -> Any:
        if self._broken:
            return False
        try:
            return step()
        except Exception as err:  # noqa: BLE001 - the store only saves repeating output
            self._broken = True
            self.log.warning(
                "Could not %s this task's place in %s's output in the task state store (%s); "
                "the next poke may repeat or skip lines",
                what,
                self.job_name,
                err,
            )
            return False


def forget_place(store: Any, log: Any) -> None:
    """Delete a kept place (the job has ended); a failure to delete is logged, never raised."""
    try:
        store.delete(PLACE_KEY)
    except Exception as err:  # noqa: BLE001 - the key expires with the store's retention anyway
        log.warning("Could not delete this task's place in the task state store: %s", err)
