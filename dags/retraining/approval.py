"""How a promoted model version gets approved, chosen per run by the ``approval`` DAG param.

- ``policy``: the champion/challenger gate passed, so the version is Approved by policy.
- ``person``: a person decides in the Airflow UI through the human-in-the-loop operators
  (Airflow 3.1+): the task shows the gate's champion-vs-challenger table; Approve writes Approved
  to the registry, Reject writes Rejected. On an Airflow without them, as ``registry``.
- ``registry``: someone approves (or rejects) the version in the model registry itself
  (SageMaker Studio, the CLI); a sensor waits for it, in reschedule mode.

:func:`hitl_available` is checked when the DAG file is parsed, on the Airflow that runs it.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

__all__ = ["APPROVAL_MODES", "DEFAULT_MODE", "hitl_available", "person_tasks", "route"]

APPROVAL_MODES = ("policy", "person", "registry")
DEFAULT_MODE = "policy"
POLICY_TASK, PERSON_TASK, REGISTRY_TASK = "approve_by_policy", "ask_a_person", "wait_for_approval"
REGISTER = "ti.xcom_pull(task_ids='register')"
GATE = "ti.xcom_pull(task_ids='gate')"
ANSWER = "ti.xcom_pull(task_ids='ask_a_person')"


def hitl_available() -> bool:
    """Whether this Airflow has the human-in-the-loop operators (3.1+ with the standard provider)."""
    try:
        from airflow.providers.standard.operators.hitl import HITLOperator  # noqa: F401
    except Exception:  # noqa: BLE001 - ImportError, or the provider's "needs Airflow 3.1+" exception
        return False
    return True


def route(mode: str, hitl: bool) -> str:
    """The task that approves, for an ``approval`` param value."""
    if mode not in APPROVAL_MODES:
        raise ValueError(f"approval must be one of {APPROVAL_MODES}, got {mode!r}")
    if mode == "policy":
        return POLICY_TASK
    return PERSON_TASK if mode == "person" and hitl else REGISTRY_TASK


def _wait_at_most(operator: type, limit: timedelta) -> dict[str, timedelta]:
    """How long a person may take, after which the task fails (there is no default answer).

    ``response_timeout`` where the standard provider has it (1.13+, which Airflow 3.2 ships; 3.3
    enforces it in the scheduler while the task is ``awaiting_input``). The 1.12 that Airflow 3.1
    ships reads ``execution_timeout`` as the deadline it gives its trigger; newer ones still take
    it, but with a deprecation warning.
    """
    import inspect

    if "response_timeout" in inspect.signature(operator.__init__).parameters:
        return {"response_timeout": limit}
    return {"execution_timeout": limit}


# What a person is asked, rendered when the task runs. The Required Actions page renders the body
# as Markdown, where a fenced block loses its line breaks: the gate's rows go in a Markdown table
# (cells as the gate's own text table prints them), then its verdict and the model package.
SUBJECT = (
    f"Approve model version {{{{ {REGISTER}['model_package_version'] }}}} of "
    f"{{{{ {REGISTER}['model_package_group_name'] }}}}?"
)
BODY = (
    f"{{%- set gate = {GATE} -%}}"
    "{%- set champion = gate['champion'] and 'champion v' ~ gate['champion']['model_package_version'] -%}"
    "{%- macro number(value) -%}{{ '-' if value is none else '%.6g' | format(value) }}{%- endmacro -%}"
    "{%- macro text(value) -%}{{ value | string | replace('|', '&#124;') }}{%- endmacro -%}"
    "Champion / challenger, as the gate compared them:\n\n"
    "| metric | role | better | {{ champion or 'champion (none)' }}"
    " | challenger | delta | rule | result |\n"
    "|---|---|---|--:|--:|--:|---|---|\n"
    "{% for row in gate['rows'] %}"
    "| {{ text(row['metric']) }} | {{ row['role'] }} | "
    "{{ 'higher' if row['direction'] == 'maximize' else 'lower' }} | "
    "{{ number(row['champion']) }} | {{ number(row['challenger']) }} | {{ number(row['delta']) }} | "
    "{{ text(row['rule']) }} | "
    "{{ 'n/a' if row['passed'] is none else ('pass' if row['passed'] else 'FAIL') }}"
    "{{ ' (' ~ text(row['note']) ~ ')' if row['note'] }} |\n"
    "{% endfor %}\n"
    "Gate: **{{ 'promote the challenger' if gate['promote'] else 'keep the champion' }}**: "
    "{{ gate['reason'] }}\n\n"
    f"Model package: `{{{{ {REGISTER}['model_package_arn'] }}}}`"
)


def person_tasks(aws_conn_id: str) -> tuple[Any, Any]:
    """``ask_a_person`` (HITL, Approve / Reject) and ``record_decision`` (writes it to the registry)."""
    from airflow.providers.standard.operators.hitl import HITLOperator

    from airflow_sm_provider.operators import SageMakerUpdateModelApprovalOperator

    ask = HITLOperator(
        task_id=PERSON_TASK,
        subject=SUBJECT,
        body=BODY,
        options=["Approve", "Reject"],
        **_wait_at_most(HITLOperator, timedelta(days=7)),
    )
    status = f"'Approved' if {ANSWER}['chosen_options'] == ['Approve'] else 'Rejected'"
    record = SageMakerUpdateModelApprovalOperator(
        task_id="record_decision",
        model_package_arn=f"{{{{ {REGISTER}['model_package_arn'] }}}}",
        approval_status=f"{{{{ {status} }}}}",
        approval_description=f"{{{{ {status} }}}} by "
        f"{{{{ ({ANSWER}.get('responded_by_user') or {{}}).get('name', 'a person') }}}} "
        "in Airflow (human-in-the-loop, run {{ run_id }})",
        aws_conn_id=aws_conn_id,
    )
    ask >> record
    return ask, record
