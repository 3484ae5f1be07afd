from __future__ import annotations

from unittest import mock

from botocore.exceptions import ClientError, EndpointConnectionError

from airflow_sm_provider.logtail import LogCursor
from airflow_sm_provider.reporting import TrainingOutput, TrialProgress
from tests.unit.sample_requests import NOW, tuning_description


def client_error(code):
    return ClientError(
        {"Error": {"Code": code, "Message": "no"}, "ResponseMetadata": {"HTTPStatusCode": 400}}, "Op"
    )


def output(*answers):
    hook, log = mock.Mock(), mock.Mock()
    hook.logs_client.return_value.filter_log_events.side_effect = list(answers)
    return TrainingOutput(hook, LogCursor("job"), log), log


def logged(log):
    return [call.args[1] for call in log.info.call_args_list if call.args[0] == "%s"]


def page(*messages, start=0):
    return {
        "events": [
            {
                "eventId": f"e{start + i}",
                "timestamp": start + i,
                "logStreamName": "job/algo-1-1",
                "message": m,
            }
            for i, m in enumerate(messages)
        ]
    }


def test_training_output_reaches_the_task_log_as_it_is_written():
    reporter, log = output(page("epoch 1"), page("epoch 1", "epoch 2"))
    reporter.poll({})
    reporter.finish({})
    assert logged(log) == ["[algo-1] epoch 1", "[algo-1] epoch 2"]


def test_a_transient_error_is_one_missed_poll_and_nothing_is_lost():
    reporter, log = output(EndpointConnectionError(endpoint_url="x"), page("epoch 1"))
    reporter.poll({})
    reporter.poll({})
    assert logged(log) == ["[algo-1] epoch 1"]


def test_logs_that_cannot_be_read_are_said_once_and_not_asked_again():
    reporter, log = output(client_error("AccessDeniedException"))
    reporter.poll({})
    reporter.poll({})
    reporter.finish({})
    assert reporter.hook.logs_client.return_value.filter_log_events.call_count == 1
    assert "cannot be read from CloudWatch Logs" in log.info.call_args_list[0].args[0]


def trial(name, status, value=None, reason=None, lr="0.1"):
    summary = {
        "TrainingJobName": name,
        "TrainingJobArn": f"arn:{name}",
        "CreationTime": NOW,
        "TrainingEndTime": NOW,
        "TrainingJobStatus": status,
        "TunedHyperParameters": {"lr": lr},
    }
    if value is not None:
        summary["FinalHyperParameterTuningJobObjectiveMetric"] = {
            "MetricName": "validation:loss",
            "Value": value,
        }
    if reason:
        summary["FailureReason"] = reason
    return summary


def test_each_finished_trial_is_one_line_and_quiet_polls_list_nothing():
    hook, log = mock.Mock(), mock.Mock()
    hook.list_trials.side_effect = [
        [trial("t-001", "Completed", 0.3), trial("t-002", "InProgress")],
        [trial("t-001", "Completed", 0.3), trial("t-002", "Failed", reason="AlgorithmError: boom")],
    ]
    reporter = TrialProgress(hook, "t", log)
    description = tuning_description("t")
    description["TrainingJobStatusCounters"] = {"Completed": 1, "InProgress": 1}
    reporter.poll(description)
    reporter.poll(description)  # nothing ended since: no List call
    description["TrainingJobStatusCounters"] = {"Completed": 1, "NonRetryableError": 1}
    reporter.poll(description)
    assert hook.list_trials.call_count == 2
    assert logged(log) == [
        "trial t-001: Completed, lr=0.1; validation:loss = 0.3",
        "trial t-002: Failed, lr=0.1; AlgorithmError: boom",
    ]


def test_the_task_log_ends_with_the_leaderboard_best_marked():
    hook, log = mock.Mock(), mock.Mock()
    trials = [trial("t-001", "Completed", 0.3, lr="0.5"), trial("t-002", "Completed", 0.11, lr="0.0123")]
    hook.list_trials.return_value = trials
    description = tuning_description("t", "Completed")
    description["BestTrainingJob"]["TrainingJobName"] = "t-002"
    TrialProgress(hook, "t", log, trial_lines=False).finish(description)
    (call,) = [c for c in log.info.call_args_list if c.args[0].startswith("Leaderboard")]
    table = call.args[2].splitlines()
    assert table[0].split() == ["rank", "trial", "status", "validation:loss", "lr"]
    assert table[1].split() == ["*", "1", "t-002", "Completed", "0.11", "0.0123"]
    assert table[2].split() == ["2", "t-001", "Completed", "0.3", "0.5"]
