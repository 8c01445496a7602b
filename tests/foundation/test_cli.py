"""The privacy-service command: keys, migrate, db-url, and serve on the embedded database."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import psycopg
import pytest

ROOT = Path(__file__).resolve().parents[2]
CLI = [sys.executable, "-m", "service.cli"]


def run_cli(*args: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, env=env, timeout=120)


@pytest.fixture
def cli_env(db_url, tmp_path) -> dict:
    return {**os.environ, "DATABASE_URL": db_url, "PRIVACY_DATA_DIR": str(tmp_path)}


def test_keys_create_list_revoke(cli_env, db_url):
    created = run_cli("keys", "create", "--role", "auditor", "--name", "audit firm", env=cli_env)
    assert created.returncode == 0, created.stderr
    raw = created.stdout.strip().splitlines()[-1]
    assert raw.startswith("psk_")

    listed = run_cli("keys", "list", env=cli_env)
    assert "auditor" in listed.stdout and "audit firm" in listed.stdout and raw not in listed.stdout
    key_id = listed.stdout.split()[0]

    revoked = run_cli("keys", "revoke", key_id, env=cli_env)
    assert revoked.returncode == 0, revoked.stderr
    with psycopg.connect(db_url) as conn:
        assert conn.execute("SELECT revoked_at IS NOT NULL FROM api_keys").fetchone()[0]

    unknown = run_cli("keys", "revoke", str(uuid.uuid4()), env=cli_env)
    assert unknown.returncode != 0 and "No API key" in unknown.stderr


def test_users_create_list_disable_reset(cli_env, db_url):
    created = run_cli(
        "users",
        "create",
        "--email",
        "Officer@Example.org",
        "--name",
        "Officer",
        "--role",
        "privacy_officer",
        env=cli_env,
    )
    assert created.returncode == 0, created.stderr
    password = created.stdout.strip().splitlines()[-1]
    assert len(password) >= 20 and " " not in password

    listed = run_cli("users", "list", env=cli_env)
    assert "officer@example.org" in listed.stdout and "active" in listed.stdout
    assert password not in listed.stdout
    with psycopg.connect(db_url) as conn:
        stored = conn.execute("SELECT password_hash FROM console_users").fetchone()[0]
    assert stored.startswith("$argon2id$") and password not in stored

    again = run_cli(
        "users",
        "create",
        "--email",
        "officer@example.org",
        "--name",
        "Twin",
        "--role",
        "auditor",
        env=cli_env,
    )
    assert again.returncode != 0 and "exists already" in again.stderr

    reset = run_cli("users", "reset-password", "officer@example.org", env=cli_env)
    assert reset.returncode == 0 and reset.stdout.strip().splitlines()[-1] != password

    disabled = run_cli("users", "disable", "officer@example.org", env=cli_env)
    assert disabled.returncode == 0, disabled.stderr
    assert "disabled" in run_cli("users", "list", env=cli_env).stdout
    unknown = run_cli("users", "disable", "nobody@example.org", env=cli_env)
    assert unknown.returncode != 0 and "No user" in unknown.stderr
    with psycopg.connect(db_url) as conn:
        actions = [
            row[0]
            for row in conn.execute(
                "SELECT action FROM audit_events WHERE target_type = 'user' ORDER BY id"
            )
        ]
    assert actions == ["user.created", "user.password_reset", "user.disabled"]


def test_migrate_and_db_url(cli_env, db_url):
    migrated = run_cli("migrate", env=cli_env)
    assert migrated.returncode == 0 and "applied 0 migration(s)" in migrated.stdout
    printed = run_cli("db-url", env=cli_env)
    assert printed.stdout.strip() == db_url


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str, key: str | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {key}"} if key else {})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 - loopback
            return response.status, response.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


@pytest.mark.slow
def test_serve_on_embedded_database_with_cli_alongside():
    data = ROOT / ".data" / f"e2e-{uuid.uuid4().hex[:8]}"
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(PRIVACY_DATA_DIR=str(data), PRIVACY_LOG_LEVEL="WARNING")
    port = _free_port()
    server = subprocess.Popen(
        [*CLI, "serve", "--port", str(port), "--workers", "1"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                if _get(base + "/health")[0] == 200:
                    break
            except OSError:
                time.sleep(0.3)
        else:
            pytest.fail("server did not start: " + server.stderr.read())
        admin_key = (data / "admin.key").read_text().strip()
        assert oct((data / "admin.key").stat().st_mode & 0o777) == "0o600"
        assert _get(base + "/ready")[0] == 200
        assert _get(base + "/openapi.json")[0] == 200
        assert _get(base + "/docs")[0] == 200
        assert _get(base + "/v1/keys", admin_key)[0] == 200
        assert _get(base + "/console/sign-in")[0] == 200

        # The CLI joins the same embedded server while it runs.
        url = run_cli("db-url", env=env).stdout.strip()
        assert "host=" in url
        created = run_cli("keys", "create", "--role", "moderator", "--name", "bot", env=env)
        assert created.returncode == 0, created.stderr
        assert _get(base + "/v1/keys", created.stdout.strip().splitlines()[-1])[0] == 403
        assert _get(base + "/health")[0] == 200  # still up after the CLI process exited
    finally:
        server.terminate()
        out, err = server.communicate(timeout=30)
    assert admin_key in out  # printed once at start
    assert "Created the console admin admin@privacy-service.local" in out
    assert len(out.split("first sign-in):\n")[1].splitlines()[0]) >= 20
    pid_file = data / "pg" / "postmaster.pid"
    for _ in range(50):  # the last process using the server stops it
        if not pid_file.exists():
            break
        time.sleep(0.2)
    assert not pid_file.exists()
    shutil.rmtree(data, ignore_errors=True)


@pytest.mark.slow
def test_db_stop_stops_the_embedded_server_another_process_holds():
    data = ROOT / ".data" / f"stop-{uuid.uuid4().hex[:8]}"
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["PRIVACY_DATA_DIR"] = str(data)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from pathlib import Path; from service.db import start_embedded; "
            "start_embedded(Path(sys.argv[1])); print('up', flush=True); time.sleep(120)",
            str(data),
        ],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert holder.stdout.readline().strip() == "up"
        pid_file = data / "pg" / "postmaster.pid"
        assert pid_file.exists()
        stopped = run_cli("db-stop", env=env)
        assert stopped.returncode == 0, stopped.stderr
        assert "stopped" in stopped.stdout
        assert not pid_file.exists()
        again = run_cli("db-stop", env=env)
        assert "was not running" in again.stdout
    finally:
        holder.kill()
        holder.communicate()
        shutil.rmtree(data, ignore_errors=True)
