"""The console's pages: every value escaped, no Environment, the leaderboard ranked with the best
marked, links that keep a job name inside its path segment."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from airflow_sm_provider.local.console import html, pages

T0 = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
SCRIPT = "<script>alert(1)</script>"


def training_description(**extra):
    return {
        "TrainingJobName": "job-1",
        "TrainingJobStatus": "Failed",
        "SecondaryStatus": "Failed",
        "FailureReason": f"AlgorithmError: {SCRIPT}",
        "CreationTime": T0,
        "HyperParameters": {"evil": SCRIPT, "lr": "0.1"},
        "Environment": {"API_KEY": "do-not-show-4242"},
        "SecondaryStatusTransitions": [{"Status": "Starting", "StartTime": T0, "StatusMessage": SCRIPT}],
        "FinalMetricDataList": [{"MetricName": "loss", "Value": 0.25, "Timestamp": T0}],
        **extra,
    }


def test_a_training_page_escapes_everything_and_never_shows_the_environment():
    body = pages.training_job(
        training_description(),
        {"loss": [1.0, 0.5, 0.25]},
        [("job-1/algo-1-1", [(1, f"printed {SCRIPT}")], "b/00000000000000000007")],
    ).decode()
    assert "<script" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    assert "do-not-show-4242" not in body and "API_KEY" not in body
    assert "<svg" in body and "0.25" in body


def test_a_log_page_links_back_to_older_lines_of_its_stream():
    body = pages.training_logs("job/1", [("job/1/algo-1-1", [(1, "x")], "b/00000000000000000007")]).decode()
    assert 'href="/console/training-jobs/job%2F1/logs?stream=job%2F1%2Falgo-1-1&amp;before=b%2F0000' in body


def test_links_keep_a_job_name_inside_its_segment():
    assert html.href("training-jobs", "../../x?y") == "/console/training-jobs/..%2F..%2Fx%3Fy"
    assert html.link(SCRIPT, "training-jobs", '"><b>') == (
        '<a href="/console/training-jobs/%22%3E%3Cb%3E">&lt;script&gt;alert(1)&lt;/script&gt;</a>'
    )


def trial(name, x, value, minutes):
    return {
        "TrainingJobName": name,
        "TrainingJobStatus": "Completed" if value is not None else "Failed",
        "TunedHyperParameters": {"x": x},
        "TrainingStartTime": T0,
        "TrainingEndTime": T0 + timedelta(minutes=minutes),
        **(
            {"FinalHyperParameterTuningJobObjectiveMetric": {"MetricName": "loss", "Value": value}}
            if value is not None
            else {"FailureReason": SCRIPT}
        ),
    }


def tuning_description(kind="Minimize", best="t-2"):
    return {
        "HyperParameterTuningJobName": "tune",
        "HyperParameterTuningJobStatus": "Completed",
        "HyperParameterTuningJobConfig": {
            "Strategy": "Bayesian",
            "HyperParameterTuningJobObjective": {"Type": kind, "MetricName": "loss"},
        },
        "TrainingJobStatusCounters": {"Completed": 3, "NonRetryableError": 1},
        "BestTrainingJob": {"TrainingJobName": best},
        "CreationTime": T0,
    }


def rows(body: str) -> list[str]:
    table = body.split("<h2>Leaderboard</h2>", 1)[1].split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return table.split("</tr>")[:-1]


def test_the_leaderboard_ranks_by_the_objective_and_marks_the_best():
    trials = [
        trial("t-1", "1", 0.9, 1),
        trial("t-2", "2", 0.1, 2),
        trial("t-3", SCRIPT, None, 3),
        trial("t-4", "4", 0.5, 4),
    ]
    body = pages.tuning_job(tuning_description(), trials).decode()
    ranked = rows(body)
    assert [next(n for n in ("t-1", "t-2", "t-3", "t-4") if f">{n}<" in row) for row in ranked] == [
        "t-2",
        "t-4",
        "t-1",
        "t-3",
    ]
    assert ranked[0].startswith('<tr class="best">') and "\u2605" in ranked[0]
    assert sum("\u2605" in row for row in ranked) == 1
    assert "<script" not in body and "<svg" in body
    maximized = rows(pages.tuning_job(tuning_description("Maximize", "t-1"), trials).decode())
    assert ">t-1<" in maximized[0] and maximized[0].startswith('<tr class="best">')


def test_the_jobs_list_shows_both_kinds_and_says_why_tuning_is_missing():
    body = pages.jobs_list(
        [{"TrainingJobName": SCRIPT, "TrainingJobStatus": "InProgress", "CreationTime": T0}],
        [],
        "Hyperparameter tuning is unavailable in this local backend: no optuna",
    ).decode()
    assert "<script" not in body and "no optuna" in body
    assert 'href="/console/training-jobs/%3Cscript%3Ealert%281%29%3C%2Fscript%3E"' in body


def test_a_signed_link_sets_a_page_cookie_and_a_forged_one_is_refused():
    from airflow_sm_provider.local.console.app import Console
    from airflow_sm_provider.local.console.token import ConsoleToken

    token = ConsoleToken("secret-token")
    console = Console(backend=None, token=token)
    page = "/console/training-jobs/my-job"
    answer = console.handle(f"{page}?sig={token.sign(page)}", None)
    assert answer.status == 303
    assert dict(answer.headers)["Location"] == page
    assert dict(answer.headers)["Set-Cookie"].startswith("sagemaker_local_console_page=")
    assert console.handle(f"{page}?sig={token.sign('/console/tuning-jobs/x')}", None).status == 401
    assert console.handle(f"/console/?sig={token.sign(page)}", None).status == 401
