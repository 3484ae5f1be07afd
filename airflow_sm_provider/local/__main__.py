"""Command line: ``serve`` the backend, or print a training job's ``logs``.

``python -m airflow_sm_provider.local serve --host 127.0.0.1 --port 8080 --home DIR`` prints the
endpoint URL on its first line of stdout once it accepts requests, and shuts down cleanly on
SIGTERM or SIGINT (running training processes are stopped; a restart reports them Failed).

``python -m airflow_sm_provider.local logs JOB --home DIR`` prints the job's combined stdout and
stderr (``--path`` prints where the log file is instead).
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from pathlib import Path

DEFAULT_HOME = ".sagemaker-local"


def _serve(args: argparse.Namespace) -> int:
    from airflow_sm_provider.local.server import LocalServer

    logging.basicConfig(level=args.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        logging.getLogger(__name__).warning(
            "binding %s: anyone who can reach this address can run code as this user", args.host
        )
    done = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: done.set())
    server = LocalServer(
        args.home,
        host=args.host,
        port=args.port,
        region=args.region,
        account_id=args.account_id,
        stop_grace=args.stop_grace,
    )
    server.start()
    try:
        print(server.endpoint_url, flush=True)
        done.wait()
    finally:
        server.stop()
    return 0


def _logs(args: argparse.Namespace) -> int:
    path = Path(args.home) / "jobs" / args.job / "log.txt"
    if args.path:
        print(path)
        return 0
    if not path.is_file():
        print(f"no log for training job {args.job!r} under {args.home} (looked for {path})", file=sys.stderr)
        return 1
    with open(path, "rb") as log:
        sys.stdout.buffer.write(log.read())
    sys.stdout.flush()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m airflow_sm_provider.local", description="Local SageMaker-compatible backend"
    )
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve the SageMaker API over HTTP")
    serve.add_argument("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8080, help="TCP port; 0 picks a free one")
    serve.add_argument("--home", default=DEFAULT_HOME, help="state directory (SQLite, job dirs, logs)")
    serve.add_argument("--region", default="us-east-1", help="region for ARNs of unsigned requests")
    serve.add_argument("--account-id", default="000000000000", help="account number in ARNs")
    serve.add_argument(
        "--stop-grace",
        type=float,
        default=5.0,
        help="seconds between SIGTERM and SIGKILL when stopping a job",
    )
    serve.add_argument("--log-level", default="INFO")
    serve.set_defaults(func=_serve)
    logs = commands.add_parser("logs", help="print a training job's output")
    logs.add_argument("job")
    logs.add_argument("--home", default=DEFAULT_HOME)
    logs.add_argument("--path", action="store_true", help="print the log file's path only")
    logs.set_defaults(func=_logs)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
