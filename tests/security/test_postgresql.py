"""The server runs against a private PostgreSQL cluster started for the test on a loopback port."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import psycopg2
import pytest

from tests.support.processes import AgentProcess, ServerProcess, free_port

pytestmark = pytest.mark.e2e

PG_BIN_DIRS = sorted(glob.glob("/usr/lib/postgresql/*/bin"))


def _as_database_user() -> list[str]:
    """Return the command prefix that runs PostgreSQL tools; initdb refuses to run as root."""
    if os.geteuid() != 0:
        return []
    return ["runuser", "-u", "postgres", "--"]


@pytest.fixture
def postgresql():
    if not PG_BIN_DIRS or not os.path.exists(os.path.join(PG_BIN_DIRS[-1], "initdb")):
        pytest.skip("PostgreSQL server binaries are not installed (Debian package postgresql)")
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root but there is no postgres user to run initdb as")
    bin_dir = Path(PG_BIN_DIRS[-1])
    # Not under tmp_path: pytest makes that folder 0700 for root, and the cluster runs as postgres.
    folder = Path(tempfile.mkdtemp(prefix="stackyard-pg-"))
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
    data = folder / "data"
    port = free_port()
    prefix = _as_database_user()
    subprocess.run([*prefix, str(bin_dir / "initdb"), "-D", str(data), "-U", "stackyard", "--auth=trust", "--no-sync"], check=True, capture_output=True)
    options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off"
    subprocess.run([*prefix, str(bin_dir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(folder / "postgres.log"), "-w", "start"], check=True, capture_output=True)
    try:
        connection = psycopg2.connect(host="127.0.0.1", port=port, user="stackyard", dbname="postgres")
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute("CREATE DATABASE stackyard")
        connection.close()
        yield f"postgresql://stackyard@127.0.0.1:{port}/stackyard"
    finally:
        subprocess.run([*prefix, str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"], capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)


def test_server_on_postgresql(postgresql, tmp_path):
    server = ServerProcess(home=tmp_path / "server", database_url=postgresql).start()
    agent = None
    try:
        admin = server.client()
        created = admin.post("/clusters", {"name": "pg", "description": "on PostgreSQL", "stack_name": "infra", "stack_version": "1.0"})
        assert created["name"] == "pg"
        assert [cluster["name"] for cluster in admin.get("/clusters")] == ["pg"]
        assert admin.get("/clusters/pg")["description"] == "on PostgreSQL"

        # A real agent registers its host; memory_bytes of any current machine exceeds 32 bits.
        agent = AgentProcess(server=server, home=tmp_path / "agent", hostname=socket.gethostname()).start()
        host = admin.get(f"/hosts/{agent.hostname}")
        assert host["agent_state"] == "CONNECTED"
        assert host["memory_bytes"] > 0

        with psycopg2.connect(postgresql) as connection, connection.cursor() as cursor:
            cursor.execute("SELECT name FROM clusters")
            assert cursor.fetchall() == [("pg",)]
            cursor.execute("SELECT count(*) FROM users WHERE password_hash LIKE '$argon2%%'")
            assert cursor.fetchone() == (1,)
    finally:
        if agent is not None:
            agent.stop()
        server.stop()
    assert "Traceback" not in server.log_path.read_text()
