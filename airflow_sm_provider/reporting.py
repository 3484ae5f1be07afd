"""What a task log shows of a job while it runs, beyond its status: training output, trial ends.

A reporter is made per wait from the kind's row (``JobKind.reporter``) and fed every Describe*
response of the wait; :class:`~airflow_sm_provider.waiting.Watcher` calls :meth:`poll` on each and
:meth:`finish` once the job is over.

- :class:`TrainingOutput` copies the training script's output from CloudWatch Logs, each line
  once, prefixed with its instance (:mod:`airflow_sm_provider.logtail`).
- :class:`TrialProgress` logs one line per finished trial of a tuning job and, at the end, the
  leaderboard (:mod:`airflow_sm_provider.leaderboard`). It lists the trials only when the job's
  counters say that a trial ended, so a quiet tuning job costs no calls.

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
