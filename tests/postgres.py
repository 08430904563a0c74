"""A real PostgreSQL server for the tests: Debian's binaries (installed by ``make test`` when missing), a
throw-away data directory, trust authentication on 127.0.0.1 only and a free port. Started once per test run;
each test gets its own database in it."""

from __future__ import annotations

import glob
import itertools
import os
import shutil
import subprocess
import time
from pathlib import Path

from tests.conftest import free_port


def binaries() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _as_postgres(args: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: there, the server runs as the package's `postgres` user."""
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


class PostgresServer:
    def __init__(self, root: Path, durable: bool = True):
        self.durable = durable  # fsync on; off for a throw-away server no test crashes
        self.bin = binaries()
        if self.bin is None:
            raise FileNotFoundError("PostgreSQL is not installed (make test installs Debian's postgresql package)")
        self.root = root
        self.data = root / "pgdata"
        self.port = free_port()
        self.process: subprocess.Popen | None = None
        self._names = itertools.count(1)
        root.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(root, "postgres")
            root.chmod(0o755)
            for parent in root.parents:  # the postgres user must be able to reach its directory
                if parent == Path("/"):
                    break
                parent.chmod(parent.stat().st_mode | 0o011)
        subprocess.run(
            _as_postgres(
                [str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8"]
            ),
            check=True,
            capture_output=True,
        )

    @property
    def admin_url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def start(self) -> None:
        args = [
            str(self.bin / "postgres"),
            "-D",
            str(self.data),
            "-p",
            str(self.port),
            "-h",
            "127.0.0.1",
            "-k",
            str(self.root),
        ]
        self.process = subprocess.Popen(
            _as_postgres([*args, "-c", f"fsync={'on' if self.durable else 'off'}", "-c", "max_connections=200"]),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("the PostgreSQL server exited at start")
            ready = subprocess.run(
                [str(self.bin / "pg_isready"), "-h", "127.0.0.1", "-p", str(self.port)], capture_output=True
            )
            if ready.returncode == 0:
                return
            time.sleep(0.2)
        raise RuntimeError("the PostgreSQL server did not start within 60 s")

    def stop(self, mode: str = "fast") -> None:
        """Stop the server as an operator would: ``fast`` ends open sessions at once and writes a checkpoint;
        ``immediate`` just ends (for a throw-away server at the end of the run)."""
        if self.process is None:
            return
        subprocess.run(
            _as_postgres([str(self.bin / "pg_ctl"), "-D", str(self.data), "stop", "-m", mode, "-t", "120"]),
            capture_output=True,
        )
        try:
            self.process.wait(timeout=120)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=30)
        self.process = None

    def new_database(self) -> str:
        """A fresh, empty database; its URL."""
        import psycopg

        name = f"t{os.getpid()}_{next(self._names)}"
        with psycopg.connect(f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres", autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{name}"
