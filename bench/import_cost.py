"""DAG-parse cost: what importing our operators and sensors adds over a bare ``import airflow``.

Usage::

    .venv/bin/python bench/import_cost.py            # 5 fresh processes per target
    .venv/bin/python bench/import_cost.py --runs 11

The dag-processor imports every DAG file, in every parsing loop; whatever our operator modules
import at module level is paid there. For each target, each run is a fresh interpreter that
imports ``airflow``, then the target, and reports the time and resident memory the target
added; the table shows medians, side by side with the incumbent
(``airflow.providers.amazon.aws.operators.sagemaker``), and which heavy modules the import
pulled in (they should load only when a task runs).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

TARGETS = {
    "incumbent operators": "airflow.providers.amazon.aws.operators.sagemaker",
    "incumbent sensors": "airflow.providers.amazon.aws.sensors.sagemaker",
    "our operators": "airflow_sm_provider.operators",
    "our sensors": "airflow_sm_provider.sensors",
    "our operators + sensors": "airflow_sm_provider.operators, airflow_sm_provider.sensors",
}

HEAVY = [
    "boto3",
    "botocore.client",
    "aiobotocore",
    "airflow.providers.amazon.aws.hooks.base_aws",
    "airflow_sm_provider.hooks.sagemaker",
    "optuna",
    "airflow_sm_provider.local",
]

PROBE = """
import json, sys, time, psutil
process = psutil.Process()
import airflow
rss0, t0 = process.memory_info().rss, time.perf_counter()
import {modules}
t1, rss1 = time.perf_counter(), process.memory_info().rss
heavy = {heavy!r}
print(json.dumps({{"seconds": t1 - t0, "mb": (rss1 - rss0) / 2**20,
                  "heavy": [m for m in heavy if m in sys.modules]}}))
"""


def probe(modules: str) -> dict:
    code = PROBE.format(modules=modules, heavy=HEAVY)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    probe("airflow")  # warm the OS file cache so the first target is not penalised
    rows = {}
    for label, modules in TARGETS.items():
        runs = [probe(modules) for _ in range(args.runs)]
        rows[label] = {
            "seconds": statistics.median(r["seconds"] for r in runs),
            "mb": statistics.median(r["mb"] for r in runs),
            "heavy": runs[0]["heavy"],
        }
    base = rows["incumbent operators"]
    print(f"Median of {args.runs} fresh processes; increments over a bare `import airflow`.\n")
    print("| import | adds (s) | adds (MB) | vs incumbent operators (time / memory) | heavy modules loaded |")
    print("|---|---|---|---|---|")
    for label, row in rows.items():
        ratio = "-"
        if base["mb"]:
            ratio = f"{row['seconds'] / base['seconds']:.2f} / {row['mb'] / base['mb']:.2f}"
        heavy = ", ".join(row["heavy"]) or "none"
        print(f"| {label} | {row['seconds']:.3f} | {row['mb']:.1f} | {ratio} | {heavy} |")
    ours = rows["our operators + sensors"]
    ok = ours["seconds"] <= base["seconds"] / 4 and ours["mb"] <= base["mb"] / 4
    print(
        f"\n- {'MET' if ok else 'NOT MET'}: operators + sensors add at most a quarter of the incumbent's "
        f"increment ({ours['seconds']:.3f} s vs {base['seconds']:.3f} s; "
        f"{ours['mb']:.1f} MB vs {base['mb']:.1f} MB)"
    )


if __name__ == "__main__":
    main()
