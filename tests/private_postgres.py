"""A throwaway PostgreSQL cluster of the test's own, so a test may stop and start the server at will
without disturbing the shared one the rest of the suite runs on."""

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg


def _bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if not found:
        raise RuntimeError(f"PostgreSQL server binary {name} not found")
    return found[-1]


def _as_postgres(*command: str) -> list[str]:
    # The server refuses to run as root; run it as the postgres user when we are root.
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else list(command)


@dataclass
class Cluster:
    directory: Path
    port: int

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _ctl(self, action: str) -> None:
        options = f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1"
        subprocess.run(  # noqa: S603
            _as_postgres(_bin("pg_ctl"), "-D", str(self.directory / "data"), "-o", options, "-w", "-m", "fast",
                         "-l", str(self.directory / "log"), action),
            check=True, capture_output=True,
        )

    def start(self) -> None:
        self._ctl("start")
        deadline = time.monotonic() + 20
        while True:
            try:
                psycopg.connect(f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres").close()
                return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def stop(self) -> None:
        self._ctl("stop")


@contextmanager
def private_cluster() -> Iterator[Cluster]:
    directory = Path(tempfile.mkdtemp(prefix="gtready-pg-"))
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    if os.geteuid() == 0:
        shutil.chown(directory, "postgres", "postgres")
    subprocess.run(  # noqa: S603
        _as_postgres(_bin("initdb"), "-D", str(directory / "data"), "-U", "postgres", "--auth=trust", "-E", "UTF8"),
        check=True, capture_output=True,
    )
    cluster = Cluster(directory, port)
    cluster.start()
    try:
        yield cluster
    finally:
        try:
            cluster.stop()
        finally:
            shutil.rmtree(directory, ignore_errors=True)
