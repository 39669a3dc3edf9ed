"""A throwaway PostgreSQL server for the store and API tests (architecture.md "store and API tests on PostgreSQL").

:func:`start_postgres_server` finds Debian's PostgreSQL (``initdb`` on the PATH or under
``/usr/lib/postgresql/<version>/bin``), installing it with ``apt-get`` when it is missing and the tests run as
root, initialises a cluster in a new temporary folder, starts it on 127.0.0.1 on a free port and returns a
:class:`PostgresServer`, whose :meth:`~PostgresServer.stop` stops it and removes the folder. The server refuses
to run as root, so as root every server command runs as the ``postgres`` user (``runuser``).

The cluster is tuned for tests on a loaded machine (``fsync=off``, small buffers, few connections), uses the
``C`` locale (text sorts by code point, as on DuckDB) and trusts loopback connections, except for the role
:data:`PASSWORD_ROLE`, which must give :data:`PASSWORD_ROLE_PASSWORD` (tests that check a password never appears
in a message). Usable alone: ``python tests/postgres_server.py`` starts a server and prints its URL until Ctrl-C.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

ADMIN_ROLE = "postgres"
PASSWORD_ROLE = "hospmort_password_user"
PASSWORD_ROLE_PASSWORD = "s3cret-Hosp-42"
_SERVER_USER = "postgres"


@dataclass
class PostgresServer:
    """A running throwaway server: its folder, port and the commands' binary folder."""

    directory: Path
    port: int
    bin_dir: Path
    as_user: str | None
    _names: itertools.count[int] = field(default_factory=itertools.count)

    def url(self, database: str = "postgres", user: str = ADMIN_ROLE) -> str:
        return f"postgresql://{user}@127.0.0.1:{self.port}/{database}"

    def create_database(self, prefix: str = "store") -> str:
        """A new empty database (``C`` collation, from ``template0``); returns its URL."""
        name = f"{prefix}_{os.getpid()}_{next(self._names)}"
        with psycopg.connect(self.url(), autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}" TEMPLATE template0 ENCODING \'UTF8\' '
                               f"LC_COLLATE 'C' LC_CTYPE 'C'")
        return self.url(name)

    def drop_database(self, url: str) -> None:
        name = url.rsplit("/", 1)[1]
        with psycopg.connect(self.url(), autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def stop(self) -> None:
        """Stop the server (immediately: the data is thrown away) and remove its folder."""
        try:
            _run(self.as_user, [str(self.bin_dir / "pg_ctl"), "-D", str(self.directory / "data"), "-m", "immediate",
                                "-w", "stop"])
        finally:
            shutil.rmtree(self.directory, ignore_errors=True)


def find_postgres_bin_dir() -> Path | None:
    """The folder of ``initdb`` and ``pg_ctl``: Debian's newest ``/usr/lib/postgresql/*/bin``, else the PATH."""
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"),
                        key=lambda path: int(path.parts[-3]) if path.parts[-3].isdigit() else 0)
    if candidates:
        return candidates[-1].parent
    found = shutil.which("initdb")
    return Path(found).resolve().parent if found else None


def install_postgres() -> None:
    """``apt-get install postgresql`` (Debian's package); the machines run the tests as root."""
    subprocess.run(["apt-get", "update"], check=True, capture_output=True)
    subprocess.run(["apt-get", "install", "-y", "--no-install-recommends", "postgresql"], check=True,
                   capture_output=True, env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})


def start_postgres_server() -> PostgresServer:
    """Install PostgreSQL if missing, initialise a throwaway cluster, start it on 127.0.0.1; see the module."""
    bin_dir = find_postgres_bin_dir()
    is_root = os.geteuid() == 0
    if bin_dir is None:
        if not is_root:
            raise RuntimeError("PostgreSQL is not installed (no initdb): `apt-get install postgresql` as root, "
                               "or deselect these tests with -m 'not postgres'")
        install_postgres()
        bin_dir = find_postgres_bin_dir()
        if bin_dir is None:
            raise RuntimeError("apt-get installed postgresql but no initdb was found under /usr/lib/postgresql")
    as_user = _SERVER_USER if is_root else None
    directory = Path(tempfile.mkdtemp(prefix="hospmort-pg-"))
    try:
        data = directory / "data"
        if as_user is not None:
            shutil.chown(directory, user=as_user)
        _run(as_user, [str(bin_dir / "initdb"), "-D", str(data), "-U", ADMIN_ROLE, "--no-locale", "-E", "UTF8",
                       "--auth=trust", "--no-sync"])
        (data / "pg_hba.conf").write_text(
            f"host all {PASSWORD_ROLE} 127.0.0.1/32 scram-sha-256\n"
            "host all all 127.0.0.1/32 trust\n"
            "local all all trust\n",
            encoding="utf-8",
        )
        port = _free_port()
        options = (f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={directory} "
                   "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c shared_buffers=16MB "
                   "-c max_connections=30 -c max_wal_size=64MB")
        _run(as_user, [str(bin_dir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(directory / "server.log"),
                       "-w", "-t", "120", "start"])
        server = PostgresServer(directory, port, bin_dir, as_user)
        _wait_until_accepting(server)
        with psycopg.connect(server.url(), autocommit=True) as connection:
            connection.execute(f"CREATE ROLE {PASSWORD_ROLE} LOGIN PASSWORD '{PASSWORD_ROLE_PASSWORD}'")
        return server
    except BaseException:
        log_file = directory / "server.log"
        if log_file.exists():
            print(log_file.read_text(encoding="utf-8", errors="replace")[-2000:])
        with contextlib.suppress(Exception):
            _run(as_user, [str(bin_dir / "pg_ctl"), "-D", str(directory / "data"), "-m", "immediate", "stop"])
        shutil.rmtree(directory, ignore_errors=True)
        raise


def _run(as_user: str | None, command: list[str]) -> None:
    full = ["runuser", "-u", as_user, "--", *command] if as_user is not None else command
    result = subprocess.run(full, capture_output=True, text=True, check=False, cwd="/")
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command[:1])} failed ({result.returncode}): {result.stderr[-2000:]}")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_until_accepting(server: PostgresServer, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with psycopg.connect(server.url(), connect_timeout=5):
                return
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


if __name__ == "__main__":  # pragma: no cover - manual use
    running = start_postgres_server()
    print(running.url())
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        running.stop()
