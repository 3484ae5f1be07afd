"""A throwaway PostgreSQL server for one test: Debian's postgresql binaries, a fresh cluster in a
temporary directory, reachable only through its unix socket in that directory (no TCP port:
nothing else on the machine can reach it, and no port can clash).

``initdb`` and ``postgres`` refuse to run as root, so under root both run as the ``postgres``
system user (``subprocess`` switches user in the child), in a directory that user owns. The
server is our child in a process group of its own: :meth:`PostgresServer.stop` ends it (fast
shutdown, then SIGKILL of the group) and removes the directory, whatever state it is in.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import quote

from tests.chaos.chaoslib import wait_until

SEARCH = ("/usr/lib/postgresql/*/bin", "/usr/local/bin", "/usr/bin")
# A throwaway cluster: durability is worth nothing here, start-up and commit speed is.
SETTINGS = {
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "200",
    "shared_buffers": "64MB",
}


def find_binaries() -> Path | None:
    """The directory holding ``initdb``, ``postgres`` and ``pg_ctl``, newest version first."""
    for pattern in SEARCH:
        for directory in sorted(glob.glob(pattern), reverse=True):
            if all(os.access(os.path.join(directory, b), os.X_OK) for b in ("initdb", "postgres")):
                return Path(directory)
    return None


def can_run_postgres() -> bool:
    """Whether this process may start a server: as any user but root, or as root through the
    ``postgres`` account (Debian's package creates it)."""
    if os.geteuid() != 0:
        return True
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        return False
    return True


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PostgresServer:
    """One PostgreSQL cluster, trust authentication, superuser ``postgres``.

    :param binaries: the directory of ``initdb`` and ``postgres`` (see :func:`find_binaries`).
    """

    def __init__(self, binaries: Path) -> None:
        self.binaries = binaries
        self.root = Path(tempfile.mkdtemp(prefix="sm-chaos-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "postgres.log"
        self.port = 5432  # names the socket file only: the directory is this server's alone
        self.proc: subprocess.Popen[bytes] | None = None
        self._user: dict[str, Any] = {}
        if os.geteuid() == 0:
            account = pwd.getpwnam("postgres")
            os.chown(self.root, account.pw_uid, account.pw_gid)
            self._user = {"user": account.pw_uid, "group": account.pw_gid, "extra_groups": []}
        self._env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C", "HOME": str(self.root)}

    def url(self, database: str, driver: str = "postgresql+psycopg2") -> str:
        """A SQLAlchemy URL through the socket (Airflow derives its asyncpg URL from it)."""
        return f"{driver}://postgres@/{database}?host={quote(str(self.root))}&port={self.port}"

    def start(self, timeout: float = 60) -> PostgresServer:
        initdb = subprocess.run(
            [
                str(self.binaries / "initdb"),
                "-D",
                str(self.data),
                "-U",
                "postgres",
                "-A",
                "trust",
                "-E",
                "UTF8",
            ],
            cwd=self.root,
            env=self._env,
            capture_output=True,
            text=True,
            timeout=120,
            **self._user,
        )
        if initdb.returncode != 0:
            raise AssertionError(f"initdb failed: {initdb.stdout[-2000:]}{initdb.stderr[-2000:]}")
        argv = [str(self.binaries / "postgres"), "-D", str(self.data), "-p", str(self.port)]
        argv += ["-c", "listen_addresses=", "-c", f"unix_socket_directories={self.root}"]
        for name, value in SETTINGS.items():
            argv += ["-c", f"{name}={value}"]
        with self.log.open("ab") as sink:
            self.proc = subprocess.Popen(
                argv,
                cwd=self.root,
                env=self._env,
                stdout=sink,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                **self._user,
            )
        wait_until(self._accepting, timeout=timeout, interval=0.1)
        return self

    def _accepting(self) -> bool:
        import psycopg2

        assert self.proc is not None
        if self.proc.poll() is not None:
            raise AssertionError(f"postgres exited with {self.proc.returncode}: {self.tail()}")
        try:
            self.connect("postgres").close()
        except psycopg2.OperationalError:  # still starting up
            return False
        return True

    def connect(self, database: str) -> Any:
        import psycopg2

        connection = psycopg2.connect(host=str(self.root), port=self.port, user="postgres", dbname=database)
        connection.autocommit = True
        return connection

    def create_database(self, name: str) -> None:
        connection = self.connect("postgres")
        try:
            with connection.cursor() as cursor:
                cursor.execute(f'CREATE DATABASE "{name}"')
        finally:
            connection.close()

    def tail(self, chars: int = 3000) -> str:
        try:
            return self.log.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def stop(self) -> None:
        """Fast shutdown (SIGINT), SIGKILL of the group if it lingers; then remove the cluster."""
        try:
            if self.proc is not None and self.proc.poll() is None:
                self.proc.send_signal(signal.SIGINT)
                try:
                    self.proc.wait(20)  # the postmaster exits once its backends have
                except subprocess.TimeoutExpired:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                    self.proc.wait(10)
        finally:
            shutil.rmtree(self.root, ignore_errors=True)
