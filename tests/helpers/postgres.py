"""A throwaway PostgreSQL cluster on 127.0.0.1 from the Debian `postgresql` package (for the DuckLake catalog)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

INSTALL_HINT = (
    "the DuckLake end-to-end test needs PostgreSQL server binaries (initdb, pg_ctl): `make test-deps` installs the "
    "Debian package as root, or run: sudo apt-get install -y --no-install-recommends postgresql"
)


def server_bin() -> Path | None:
    """The folder of the newest installed PostgreSQL server binaries, or None."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parent.parent.name))
    if found:
        return found[-1].parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _as_owner(command: list[str]) -> list[str]:
    # PostgreSQL refuses to run as root: root runs it as the `postgres` user the package creates.
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


@contextmanager
def postgres_cluster() -> Iterator[str]:
    """Start a trust-auth cluster with a database `lake`; yield its libpq string; stop and remove it after."""
    binaries = server_bin()
    if binaries is None:
        raise RuntimeError(INSTALL_HINT)
    # Its own folder under /tmp: pytest's tmp_path sits in a root-only folder the `postgres` user cannot enter.
    folder = Path(tempfile.mkdtemp(prefix="brandpulse-pg-"))
    data, sockets = folder / "pgdata", folder / "pgsock"
    sockets.mkdir(parents=True)
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres")
        shutil.chown(sockets, "postgres")
    port = _free_port()
    run = {"check": True, "capture_output": True, "text": True, "timeout": 120}
    subprocess.run(_as_owner([str(binaries / "initdb"), "-A", "trust", "-U", "postgres", "-D", str(data)]), **run)
    options = f"-p {port} -k {sockets} -c listen_addresses=127.0.0.1 -c fsync=off"
    subprocess.run(_as_owner([str(binaries / "pg_ctl"), "-D", str(data), "-o", options, "-w", "-l",
                              str(folder / "pg.log"), "start"]), **run)
    try:
        subprocess.run(_as_owner([str(binaries / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres",
                                  "lake"]), **run)
        yield f"postgres:dbname=lake host=127.0.0.1 port={port} user=postgres"
    finally:
        subprocess.run(_as_owner([str(binaries / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]),
                       capture_output=True, timeout=60)
        shutil.rmtree(folder, ignore_errors=True)
