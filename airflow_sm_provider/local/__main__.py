"""Command line: ``serve`` the backend, print a ``connection`` for it, or print a job's ``logs``.

``python -m airflow_sm_provider.local serve --host 127.0.0.1 --port 8080 --home DIR`` prints the
endpoint URL on its first line of stdout once it accepts requests, and shuts down cleanly on
SIGTERM or SIGINT (running training processes are stopped; a restart reports them Failed).
Requests must be signed (AWS Signature Version 4) with the backend's access key: by default one
generated into the home on first use (``--access-key-id``/``--secret-access-key`` or the
``SAGEMAKER_LOCAL_*`` variables set one instead), and name this server in their Host header
(``--allowed-host`` adds names). ``serve`` never prints or logs the secret.

``python -m airflow_sm_provider.local connection --home DIR --port 8080`` prints, as JSON, an
Airflow ``aws`` connection for that backend (its secret included): the value of
``AIRFLOW_CONN_AWS_DEFAULT``. It generates the home's credentials if ``serve`` has not yet. Its
extra also carries the console's base URL and token (``local_console_url``,
``local_console_token``; see ``console/``), from which links to the console's pages are built.

``python -m airflow_sm_provider.local logs JOB --home DIR`` prints the job's combined stdout and
stderr (``--path`` prints where the log file is instead).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import threading
from pathlib import Path

from airflow_sm_provider.local import credentials as keys
from airflow_sm_provider.local.console import token as console_token
from airflow_sm_provider.local.training.options import (
    DEFAULT_MAX_INSTANCES,
    SpotInterruptions,
    TrainingOptions,
)

DEFAULT_HOME = ".sagemaker-local"


def _serve(args: argparse.Namespace) -> int:
    from airflow_sm_provider.local.server import LocalServer

    logging.basicConfig(level=args.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        logging.getLogger(__name__).warning(
            "binding %s: anyone who can reach this address and holds the access key can run code "
            "as this user",
            args.host,
        )
    try:
        credentials = keys.resolve(Path(args.home), args.access_key_id, args.secret_access_key)
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    for name in (keys.ACCESS_KEY_ENV, keys.SECRET_KEY_ENV):
        os.environ.pop(name, None)  # read once; the training jobs this process starts never see it
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
        credentials=credentials,
        allowed_hosts=args.allowed_host,
        training=TrainingOptions(max_instances=args.max_instances, spot=args.spot_interruptions),
    )
    server.start()
    try:
        print(server.endpoint_url, flush=True)
        logging.getLogger(__name__).info(
            "for a connection: python -m airflow_sm_provider.local connection --home %s --port %s",
            args.home,
            server.endpoint_url.rsplit(":", 1)[1],
        )
        done.wait()
    finally:
        server.stop()
    return 0


def _connection(args: argparse.Namespace) -> int:
    try:
        credentials = keys.resolve(Path(args.home))
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    host = f"[{args.host}]" if ":" in args.host else args.host
    endpoint_url = f"http://{host}:{args.port}"
    connection = keys.connection(credentials, endpoint_url, args.region)
    token = console_token.for_home(Path(args.home))
    connection["extra"].update(console_token.connection_extra(f"{endpoint_url}/console/", token))
    print(json.dumps(connection))
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
    serve.add_argument(
        "--region", default="us-east-1", help="default region (ARNs take the region a request is signed for)"
    )
    serve.add_argument("--account-id", default="000000000000", help="account number in ARNs")
    serve.add_argument(
        "--stop-grace",
        type=float,
        default=5.0,
        help="seconds between SIGTERM and SIGKILL when stopping a job",
    )
    serve.add_argument(
        "--access-key-id",
        help=f"the access key requests must be signed with (or {keys.ACCESS_KEY_ENV}; default: the home's)",
    )
    serve.add_argument(
        "--secret-access-key",
        help=f"its secret; visible to other users in ps, prefer {keys.SECRET_KEY_ENV}",
    )
    serve.add_argument(
        "--allowed-host",
        action="append",
        default=[],
        metavar="NAME[:PORT]",
        help="another Host name clients use for this server (repeatable); by default only the "
        "bound address (and localhost when it is loopback) on this port",
    )
    serve.add_argument(
        "--max-instances",
        type=int,
        default=DEFAULT_MAX_INSTANCES,
        help="most instances (one process each) a training job may ask for "
        f"(default {DEFAULT_MAX_INSTANCES}); more is refused at create",
    )
    serve.add_argument(
        "--spot-interruptions",
        type=SpotInterruptions.parse,
        metavar="SPEC",
        help="interrupt managed spot jobs while they train: a schedule of training seconds per "
        "run ('30' or '30,60') or a rate per second ('p=0.05[,seed=N]'); off by default",
    )
    serve.add_argument("--log-level", default="INFO")
    serve.set_defaults(func=_serve)
    connection = commands.add_parser(
        "connection", help="print an Airflow aws connection (AIRFLOW_CONN_AWS_DEFAULT) for a backend's home"
    )
    connection.add_argument("--home", default=DEFAULT_HOME)
    connection.add_argument("--host", default="127.0.0.1", help="the backend's address (default 127.0.0.1)")
    connection.add_argument("--port", type=int, default=8080, help="the backend's port (default 8080)")
    connection.add_argument("--region", default="us-east-1")
    connection.set_defaults(func=_connection)
    logs = commands.add_parser("logs", help="print a training job's output")
    logs.add_argument("job")
    logs.add_argument("--home", default=DEFAULT_HOME)
    logs.add_argument("--path", action="store_true", help="print the log file's path only")
    logs.set_defaults(func=_logs)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
