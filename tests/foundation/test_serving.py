"""`privacy-service serve` for real: slow clients cannot starve it; its own errors are problems."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from psycopg.rows import dict_row

from service.audit import SYSTEM
from service.auth import create_key
from tests.archive.conftest import drop_database, fresh_database
from tests.conftest import TEST_SECRET

pytestmark = pytest.mark.slow

WORKERS = 2
HEADER_TIMEOUT = 3
BODY_TIMEOUT = 3


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """A `privacy-service serve` subprocess on an ephemeral port (WORKERS workers by default)."""

    def __init__(
        self,
        db_url: str,
        data_dir: Path,
        log_path: Path,
        *,
        workers: int = WORKERS,
        settings: dict[str, str] | None = None,
    ):
        self.db_url = db_url
        self.port = free_port()
        self.log_path = log_path
        env = {
            **os.environ,
            "DATABASE_URL": db_url,
            "PRIVACY_DATA_DIR": str(data_dir),
            "PRIVACY_SECRET_KEY": TEST_SECRET,
            "PRIVACY_AUDIT_SIGNING_KEY": "",
            "PRIVACY_LOG_LEVEL": "WARNING",
            "PRIVACY_HEADER_TIMEOUT_SECONDS": str(HEADER_TIMEOUT),
            "PRIVACY_BODY_TIMEOUT_SECONDS": str(BODY_TIMEOUT),
            **(settings or {}),
        }
        with log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "service.cli", "serve", "--port", str(self.port)]
                + ["--workers", str(workers)],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def wait_ready(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail("serve exited:\n" + self.log_path.read_text()[-3000:])
            try:
                if raw(self.port, b"GET /health HTTP/1.1\r\nHost: t\r\n\r\n", timeout=2):
                    return
            except OSError:
                pass
            time.sleep(0.5)
        pytest.fail("serve did not answer /health:\n" + self.log_path.read_text()[-3000:])

    def worker_pids(self) -> list[int]:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in children.read_text().split()]

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)


def raw(port: int, data: bytes, timeout: float = 10) -> bytes:
    """Send bytes on a new connection and return everything the server answers until it closes."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as conn:
        conn.sendall(data)
        received = b""
        while True:
            chunk = conn.recv(65536)
            if not chunk:
                return received
            received += chunk
            if b"Connection: close" not in received and _complete(received):
                return received


def _complete(response: bytes) -> bool:
    head, sep, body = response.partition(b"\r\n\r\n")
    if not sep:
        return False
    for line in head.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return len(body) >= int(value)
    return False


def parse(response: bytes) -> tuple[int, dict[str, str], bytes]:
    head, _, body = response.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return int(lines[0].split()[1]), headers, body


def assert_problem(response: bytes, status: int) -> dict:
    got, headers, body = parse(response)
    assert got == status, response[:300]
    assert headers["content-type"] == "application/problem+json"
    problem = json.loads(body)
    assert problem["status"] == status
    assert problem["title"] and problem["detail"]
    return problem


@contextmanager
def serving(pg_server_url: str, template_db: str, folder: Path, **options) -> Iterator[Server]:
    """Serve a fresh database from folder until the block ends."""
    url = fresh_database(pg_server_url, template_db)
    running = Server(url, folder / "data", folder / "serve.log", **options)
    try:
        running.wait_ready(240)
        yield running
    finally:
        running.stop()
        drop_database(pg_server_url, url)


@pytest.fixture(scope="module")
def server(pg_server_url: str, template_db: str, tmp_path_factory) -> Iterator[Server]:
    with serving(pg_server_url, template_db, tmp_path_factory.mktemp("serve")) as running:
        yield running


def test_slow_clients_do_not_starve_health(server):
    slow: list[socket.socket] = []
    try:
        # Three times as many slow connections as workers: half a header, or 8 of 100 bytes.
        for n in range(3 * WORKERS):
            conn = socket.create_connection(("127.0.0.1", server.port), timeout=10)
            if n % 2:
                conn.sendall(b"GET /health HTTP/1.1\r\nHost: t\r\nX-Wait: ")
            else:
                conn.sendall(
                    b"POST /v1/analyze HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
                    b"Content-Length: 100\r\n\r\n" + b'{"text":'
                )
            slow.append(conn)
        time.sleep(0.5)
        for _ in range(3):
            started = time.monotonic()
            status, _, body = parse(raw(server.port, b"GET /health HTTP/1.1\r\nHost: t\r\n\r\n"))
            elapsed = time.monotonic() - started
            assert (status, json.loads(body)) == (200, {"status": "ok"})
            assert elapsed < 1.0, f"/health took {elapsed:.2f} s behind slow clients"

        # The deadlines then close them: the half header silently, the slow body with a 408.
        deadline = time.monotonic() + max(HEADER_TIMEOUT, BODY_TIMEOUT) + 10
        answers = []
        for conn in slow:
            conn.settimeout(max(0.1, deadline - time.monotonic()))
            received = b""
            while chunk := conn.recv(65536):
                received += chunk
            answers.append(received)
        assert answers[1::2] == [b""] * (3 * WORKERS // 2)
        for answer in answers[0::2]:
            problem = assert_problem(answer, 408)
            assert f"{BODY_TIMEOUT} seconds" in problem["detail"]
    finally:
        for conn in slow:
            conn.close()


@pytest.mark.parametrize(
    ("request_bytes", "status"),
    [
        (b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: t\r\n\r\n", 414),
        (
            b"GET /health HTTP/1.1\r\nHost: t\r\n"
            + b"".join(b"X-Many-%d: v\r\n" % n for n in range(150))
            + b"\r\n",
            431,
        ),
        (b"GET /health HTTP/1.1\r\nHost: t\r\nX-Big: " + b"v" * 9000 + b"\r\n\r\n", 431),
        (b"GET /health HTTP/1.1\r\nHost: t\r\nX-Bad: a\x01b\r\n\r\n", 400),
        (b"POST /v1/analyze HTTP/1.1\r\nHost: t\r\nContent-Length: -5\r\n\r\n", 400),
        (
            b"POST /v1/analyze HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n"
            b"Content-Length: 6\r\n\r\nhello!",
            400,
        ),
        (b"GET /health HTTP/9.9\r\nHost: t\r\n\r\n", 400),
    ],
    ids=[
        "long-line",
        "many-headers",
        "long-header",
        "bad-byte",
        "negative-length",
        "two-lengths",
        "bad-version",
    ],
)
def test_errors_of_the_server_itself_are_problem_json(server, request_bytes, status):
    problem = assert_problem(raw(server.port, request_bytes), status)
    # The offending text is not echoed back (it may hold anything).
    assert "aaaa" not in problem["detail"] and "vvvv" not in problem["detail"]


def test_chunked_body_over_the_limit_is_413_from_the_server(server):
    chunk = b"a" * 65536
    body = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(20)) + b"0\r\n\r\n"
    response = raw(
        server.port,
        b"POST /v1/analyze HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n" + body,
    )
    problem = assert_problem(response, 413)
    assert "1048576 bytes" in problem["detail"]


def test_chunked_body_within_the_limit_is_answered_by_the_app(server):
    body = b'{"text": "write to jan@example.com"}'
    response = raw(
        server.port,
        b"POST /v1/analyze HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n" + b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body),
    )
    # Authentication comes first: no key, 401 (and a problem), whatever the body.
    assert_problem(response, 401)


MAX_TEXTS = 40
BATCH = 15


@pytest.fixture(scope="module")
def recycling_server(pg_server_url: str, template_db: str, tmp_path_factory) -> Iterator[Server]:
    with serving(
        pg_server_url,
        template_db,
        tmp_path_factory.mktemp("recycle"),
        workers=1,
        settings={"PRIVACY_WORKER_MAX_TEXTS": str(MAX_TEXTS), "PRIVACY_LOG_LEVEL": "INFO"},
    ) as running:
        yield running


def test_workers_are_recycled_by_texts_processed_not_requests(recycling_server):
    """One batch is one request but many texts: the worker is replaced once it has put
    PRIVACY_WORKER_MAX_TEXTS texts (up to 10% more) through the pipeline, between requests."""
    server = recycling_server
    with psycopg.connect(server.db_url, row_factory=dict_row) as conn:
        _, key = create_key(conn, SYSTEM, name="recycle", role="moderator")
    items = [{"id": str(n), "text": f"Call Jan Novak on 020 7946 09{n:02d}"} for n in range(BATCH)]
    body = json.dumps({"items": items}).encode()
    request = (
        b"POST /v1/redact/batch HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
        b"Authorization: Bearer %s\r\nConnection: close\r\nContent-Length: %d\r\n\r\n%s"
        % (key.encode(), len(body), body)
    )
    (first,) = server.worker_pids()
    # Two batches (30 texts) stay under the bound; the third (45) passes it.
    for _ in range(2):
        status, _, answer = parse(raw(server.port, request))
        assert status == 200 and len(json.loads(answer)["items"]) == BATCH
    assert server.worker_pids() == [first]
    status, _, answer = parse(raw(server.port, request))
    assert status == 200 and len(json.loads(answer)["items"]) == BATCH, answer[:300]

    def replaced() -> list[int]:
        pids = server.worker_pids()
        return pids if pids and first not in pids else []

    deadline = time.monotonic() + 60
    while not (pids := replaced()) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert pids and len(pids) == 1, f"worker {first} should have been replaced, have {pids}"
    # The fresh worker serves (its engine is built before it takes requests: on a busy machine
    # that takes a while).
    status, _, answer = parse(raw(server.port, request, timeout=120))
    assert status == 200 and len(json.loads(answer)["items"]) == BATCH
    log = server.log_path.read_text(errors="replace")
    assert '"reason": "texts"' in log and "recycling worker" in log


def test_a_clean_shutdown_writes_the_pending_audit_aggregate(
    pg_server_url: str, template_db: str, tmp_path: Path
):
    """Redactions are audited as per-key aggregates written every interval; a worker that
    stops cleanly writes what it holds before it exits, so an hour's interval loses nothing."""
    with serving(
        pg_server_url,
        template_db,
        tmp_path,
        workers=1,
        settings={"PRIVACY_AUDIT_AGGREGATE_SECONDS": "3600"},
    ) as running:
        with psycopg.connect(running.db_url, row_factory=dict_row) as conn:
            _, key = create_key(conn, SYSTEM, name="shutdown", role="moderator")
        body = json.dumps({"text": "Mail piet.smit@example.org please", "language": "en"}).encode()
        request = (
            b"POST /v1/redact HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
            b"Authorization: Bearer %s\r\nConnection: close\r\nContent-Length: %d\r\n\r\n%s"
            % (key.encode(), len(body), body)
        )
        for _ in range(3):
            status, _, answer = parse(raw(running.port, request))
            assert status == 200, answer[:300]
        db_url = running.db_url
        with psycopg.connect(db_url, row_factory=dict_row) as conn:
            before = conn.execute(
                "SELECT count(*) AS n FROM audit_events WHERE action = 'redact.performed'"
            ).fetchone()["n"]
        assert before == 0  # still held in the worker
        running.stop()
        assert running.process.returncode == 0
        with psycopg.connect(db_url, row_factory=dict_row) as conn:
            rows = conn.execute(
                "SELECT details FROM audit_events WHERE action = 'redact.performed'"
            ).fetchall()
    assert sum(row["details"]["texts"] for row in rows) == 3
    assert all("piet" not in json.dumps(row["details"]) for row in rows)


def test_a_worker_over_the_memory_bound_is_recycled(pg_server_url, template_db, tmp_path):
    """With PRIVACY_WORKER_MAX_RSS_MB below what any worker holds (and no text bound), the
    worker that answered a request is replaced after it, and its successor serves."""
    with serving(
        pg_server_url,
        template_db,
        tmp_path,
        workers=1,
        settings={
            "PRIVACY_WORKER_MAX_TEXTS": "0",
            "PRIVACY_WORKER_MAX_RSS_MB": "1",
            "PRIVACY_LOG_LEVEL": "INFO",
        },
    ) as server:
        (first,) = server.worker_pids()
        status, _, _ = parse(raw(server.port, b"GET /health HTTP/1.1\r\nHost: t\r\n\r\n"))
        assert status == 200

        deadline = time.monotonic() + 60
        while first in (pids := server.worker_pids()) or not pids:
            assert time.monotonic() < deadline, f"worker {first} should have been replaced"
            time.sleep(0.2)
        server.wait_ready(120)
        log = server.log_path.read_text(errors="replace")
        assert '"reason": "memory"' in log and "recycling worker" in log
