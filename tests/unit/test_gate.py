"""Champion / challenger decisions, one row per case."""

from __future__ import annotations

import pytest

from airflow_sm_provider.gate import decide, parse_rules, render_table

OBJECTIVES, GUARDRAILS = parse_rules(
    {"test:logloss": {"direction": "minimize", "min_improvement": "0.005"}},
    {"test:auc": {"direction": "maximize", "max_regression": 0.01}},
)
CHAMPION = {"test:logloss": 0.100, "test:auc": 0.980}

CASES = [
    # (case, challenger, champion, promote, reason contains)
    ("better", {"test:logloss": 0.090, "test:auc": 0.985}, CHAMPION, True, "every objective improved"),
    ("worse", {"test:logloss": 0.120, "test:auc": 0.985}, CHAMPION, False, "test:logloss improved by -0.02"),
    ("better, but within tolerance", {"test:logloss": 0.098, "test:auc": 0.98}, CHAMPION, False, "< 0.005"),
    (
        "exactly the minimum improvement",
        {"test:logloss": 0.095, "test:auc": 0.98},
        CHAMPION,
        True,
        "improved",
    ),
    (
        "guardrail regression",
        {"test:logloss": 0.080, "test:auc": 0.960},
        CHAMPION,
        False,
        "guardrail test:auc",
    ),
    ("guardrail within its limit", {"test:logloss": 0.080, "test:auc": 0.975}, CHAMPION, True, "improved"),
    ("no champion", {"test:logloss": 0.3, "test:auc": 0.5}, None, True, "first model"),
    ("missing metric", {"test:auc": 0.99}, CHAMPION, False, "the challenger has no test:logloss"),
    ("missing metric, no champion", {"test:auc": 0.99}, None, False, "the challenger has no test:logloss"),
    ("missing guardrail", {"test:logloss": 0.05}, CHAMPION, False, "the challenger has no test:auc"),
    (
        "champion lacks a metric",
        {"test:logloss": 0.09, "test:auc": 0.9},
        {"test:logloss": 0.1},
        True,
        "improved",
    ),
]


@pytest.mark.parametrize(
    ("challenger", "champion", "promote", "reason"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_decision(challenger, champion, promote, reason):
    decision = decide(challenger, champion, OBJECTIVES, GUARDRAILS)
    assert decision.promote is promote
    assert reason in decision.reason


def test_every_number_is_in_the_rows():
    decision = decide({"test:logloss": 0.09, "test:auc": 0.985}, CHAMPION, OBJECTIVES, GUARDRAILS)
    objective, guardrail = decision.to_dict()["rows"]
    assert objective["challenger"] == 0.09 and objective["champion"] == 0.1
    assert objective["delta"] == pytest.approx(-0.01)
    assert objective["improvement"] == pytest.approx(0.01)
    assert (objective["role"], objective["passed"]) == ("objective", True)
    assert guardrail["improvement"] == pytest.approx(0.005)
    assert (guardrail["role"], guardrail["rule"]) == ("guardrail", "regress <= 0.01")


def test_first_model_rule_can_be_turned_off():
    decision = decide(
        {"test:logloss": 0.1, "test:auc": 0.9}, None, OBJECTIVES, GUARDRAILS, promote_first_model=False
    )
    assert not decision.promote


def test_the_table_shows_both_sides_and_the_decision():
    decision = decide({"test:logloss": 0.12, "test:auc": 0.985}, CHAMPION, OBJECTIVES, GUARDRAILS)
    table = render_table(decision, "champion v1", "challenger")
    header, rule, logloss, auc, verdict = table.splitlines()
    assert header.split() == [
        "metric",
        "role",
        "better",
        "champion",
        "v1",
        "challenger",
        "delta",
        "rule",
        "result",
    ]
    assert set(rule) <= {"-", " "}
    assert logloss.split()[:6] == ["test:logloss", "objective", "lower", "0.1", "0.12", "0.02"]
    assert logloss.endswith("FAIL")
    assert auc.endswith("pass")
    assert verdict.startswith("decision: KEEP the champion")


@pytest.mark.parametrize(
    ("metrics", "guardrails", "message"),
    [
        ({}, None, "at least one metric"),
        ({"auc": "up"}, None, "direction must be one of"),
        ({"auc": "maximize"}, {"f1": {"direction": "maximize", "max_regression": -1}}, "must be >= 0"),
    ],
)
def test_rules_are_checked(metrics, guardrails, message):
    with pytest.raises(ValueError, match=message):
        parse_rules(metrics, guardrails)


def test_a_bare_direction_is_a_rule_with_no_minimum():
    (rule,), () = parse_rules({"auc": "maximize"})
    assert (rule.direction, rule.min_improvement) == ("maximize", 0.0)
