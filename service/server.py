"""Run the application under gunicorn, one app (and one engine) per worker process.

The default worker class is gevent: every connection is a greenlet, so a client that sends its
request slowly holds a greenlet, not the worker. The request line and headers must arrive
within ``PRIVACY_HEADER_TIMEOUT_SECONDS`` and the body within ``PRIVACY_BODY_TIMEOUT_SECONDS``;
the body is read whole (up to the largest body any route accepts) before the application sees
it. Errors gunicorn answers itself (a request line or headers too long, malformed headers, a
bad Content-Length) are problem+json like the application's. A worker is recycled after it has
put ``PRIVACY_WORKER_MAX_TEXTS`` texts through the language pipeline or grown past
``PRIVACY_WORKER_MAX_RSS_MB``, a backstop to the engine's spaCy memory zones (which free the
words each call adds): a batch of 500 texts is one request, so counting requests says nothing
about memory.
"""

from __future__ import annotations

import io
import json
import logging
import random
import time
from collections import deque
from dataclasses import dataclass
from typing import Any

from gunicorn import util
from gunicorn.app.base import BaseApplication
from gunicorn.http import errors as http_errors
from gunicorn.workers.sync import SyncWorker

from service import workload
from service.errors import PROBLEM_MIMETYPE, problem_body, problem_type_for_status

log = logging.getLogger("service.server")

WORKER_CLASSES = ("gevent", "sync")


@dataclass(frozen=True)
class FrontSettings:
    """How the server treats connections before the application sees a request."""

    header_timeout: float = 10.0
    body_timeout: float = 30.0
    # The largest body any route accepts (the app applies each route's own limit after).
    max_body_bytes: int = 16 * 1024 * 1024
    # The routes allowed more than default_body_bytes (POST /v1/feedback).
    large_body_paths: tuple[str, ...] = ("/v1/feedback",)
    default_body_bytes: int = 1024 * 1024
    max_texts: int = 50_000
    max_rss_mb: int = 0
    worker_connections: int = 200


# Set by run_gunicorn in the master before the workers fork; each worker reads its copy.
_front = FrontSettings()


def front_settings(config: dict[str, Any]) -> FrontSettings:
    """Return the front's settings from the service configuration."""
    from service.archive.settings import load_archive_settings

    return FrontSettings(
        header_timeout=config["PRIVACY_HEADER_TIMEOUT_SECONDS"],
        body_timeout=config["PRIVACY_BODY_TIMEOUT_SECONDS"],
        max_body_bytes=max(
            config["PRIVACY_MAX_BODY_BYTES"], load_archive_settings(config).max_ingest_bytes
        ),
        default_body_bytes=config["PRIVACY_MAX_BODY_BYTES"],
        max_texts=config["PRIVACY_WORKER_MAX_TEXTS"],
        max_rss_mb=config["PRIVACY_WORKER_MAX_RSS_MB"],
        worker_connections=config["PRIVACY_WORKER_CONNECTIONS"],
    )


def problem_bytes(
    status: int, reason: str, detail: str, *, headers: dict[str, str] | None = None
) -> bytes:
    """Return a whole HTTP/1.1 problem+json response that closes the connection."""
    body = _problem_json(status, detail)
    lines = [
        f"HTTP/1.1 {status} {reason}",
        "Connection: close",
        f"Content-Type: {PROBLEM_MIMETYPE}",
        f"Content-Length: {len(body)}",
        *(f"{name}: {value}" for name, value in (headers or {}).items()),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def _client_error(exc: BaseException, cfg) -> tuple[int, str, str] | None:
    """Return (status, reason, detail) for a request gunicorn refused, or None for a bug."""
    e = http_errors
    if isinstance(exc, e.LimitRequestLine):
        return (
            414,
            "URI Too Long",
            f"The request line is longer than {cfg.limit_request_line} bytes.",
        )
    if isinstance(exc, e.LimitRequestHeaders):
        return (
            431,
            "Request Header Fields Too Large",
            f"Send at most {cfg.limit_request_fields} headers of at most "
            f"{cfg.limit_request_field_size} bytes each.",
        )
    if isinstance(exc, e.UnsupportedTransferCoding):
        return 501, "Not Implemented", "Only the chunked transfer coding is supported."
    if isinstance(exc, e.ExpectationFailed):
        return 417, "Expectation Failed", "Only `Expect: 100-continue` is supported."
    if isinstance(exc, e.ForbiddenProxyRequest):
        return 403, "Forbidden", "Proxy headers are not accepted from this address."
    if isinstance(exc, e.InvalidHeader | e.InvalidHeaderName | e.ObsoleteFolding):
        # The header's text is not echoed: it may carry anything, personal data included.
        return (
            400,
            "Bad Request",
            "A header is malformed, repeated where it may not be, or has an invalid value "
            "(Content-Length must be one non-negative number).",
        )
    client_errors = (
        e.InvalidRequestLine,
        e.InvalidRequestMethod,
        e.InvalidHTTPVersion,
        e.InvalidProxyLine,
        e.InvalidSchemeHeaders,
        e.InvalidChunkSize,
        e.ChunkMissingTerminator,
        *(getattr(e, name) for name in ("InvalidChunkExtension",) if hasattr(e, name)),
    )
    if isinstance(exc, client_errors):
        return 400, "Bad Request", "The request is not valid HTTP/1.1."
    return None


class BufferedBody:
    """WSGI middleware: read a request's whole body within a deadline, then call the app."""

    def __init__(self, app, settings: FrontSettings, timeout_factory):
        self.app = app
        self.settings = settings
        self.timeout_factory = timeout_factory

    def _limit(self, environ) -> int:
        path = environ.get("PATH_INFO", "")
        if path in self.settings.large_body_paths:
            return self.settings.max_body_bytes
        return self.settings.default_body_bytes

    def __call__(self, environ, start_response):
        length = environ.get("CONTENT_LENGTH") or ""
        chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
        if not chunked and length in ("", "0"):
            return self.app(environ, start_response)
        limit = self._limit(environ)
        if length and int(length) > limit:
            # Refused before reading a byte of it.
            return _respond(
                start_response,
                413,
                "Content Too Large",
                f"The request body is larger than {limit} bytes.",
            )
        stream = environ["wsgi.input"]
        chunks: list[bytes] = []
        size = 0
        # With a Content-Length the server's reader ends there: no read to learn it has.
        expected = None if chunked or not length else int(length)
        try:
            with self.timeout_factory(self.settings.body_timeout):
                while size <= limit and size != expected:
                    chunk = stream.read(min(64 * 1024, limit + 1 - size))
                    if not chunk:
                        break
                    chunks.append(chunk)
                    size += len(chunk)
        except TimeoutError:
            return _respond(
                start_response,
                408,
                "Request Timeout",
                f"The body did not arrive within {self.settings.body_timeout:g} seconds.",
            )
        if size > limit:
            return _respond(
                start_response,
                413,
                "Content Too Large",
                f"The request body is larger than {limit} bytes.",
            )
        data = b"".join(chunks)
        environ["wsgi.input"] = io.BytesIO(data)
        environ["CONTENT_LENGTH"] = str(len(data))
        environ.pop("HTTP_TRANSFER_ENCODING", None)
        return self.app(environ, start_response)


def _problem_json(status: int, detail: str) -> bytes:
    """Return a problem+json body of the service's problem type for this status."""
    return json.dumps(problem_body(problem_type_for_status(status), detail)).encode()


def _respond(start_response, status: int, reason: str, detail: str):
    body = _problem_json(status, detail)
    start_response(
        f"{status} {reason}",
        [
            ("Content-Type", PROBLEM_MIMETYPE),
            ("Content-Length", str(len(body))),
            ("Connection", "close"),
        ],
    )
    return [body]


class _ServiceWorkerMixin:
    """Problem+json for gunicorn's own errors, and recycling by work done."""

    def handle_error(self, req, client, addr, exc):
        refused = _client_error(exc, self.cfg)
        if refused is None:
            log.error("unhandled server error", exc_info=exc)
            refused = (500, "Internal Server Error", "The service failed to handle this request.")
        else:
            log.info("request refused by the server", extra={"error_type": type(exc).__name__})
        status, reason, detail = refused
        try:
            util.write_nonblock(client, problem_bytes(status, reason, detail))
        except Exception:  # noqa: BLE001 - the client may be gone; nothing more to tell it
            log.debug("could not send the error response")

    def handle_request(self, *args, **kwargs):
        try:
            return super().handle_request(*args, **kwargs)
        finally:
            self._recycle_when_worn()

    def _recycle_when_worn(self) -> None:
        if not self.alive:
            return
        texts = workload.texts_processed()
        limit = getattr(self, "_max_texts", None)
        if limit is None:
            # Staggered by up to 10%, so workers started together do not restart together.
            base = _front.max_texts
            limit = self._max_texts = int(base * (1 + random.random() / 10)) if base else 0
        reason = None
        if limit and texts >= limit:
            reason = "texts"
        elif _front.max_rss_mb and workload.rss_bytes() > _front.max_rss_mb * 1024 * 1024:
            reason = "memory"
        if reason:
            log.warning(
                "recycling worker",
                extra={
                    "reason": reason,
                    "texts": texts,
                    "rss_mb": round(workload.rss_bytes() / 1024 / 1024),
                },
            )
            self.alive = False


def _one_write_response_class():
    """Return gunicorn's HTTP/1 response class, made to send its head with the first body bytes
    in one write: a JSON answer then costs one system call (and one packet) instead of two."""
    from gunicorn.http import wsgi

    base = wsgi.Response
    if not hasattr(base, "_emit_body"):
        return base  # a gunicorn without the hook: its own two writes

    class OneWriteResponse(base):
        one_write = True
        _deferring = False
        _head = b""

        def send_headers(self):
            if not self._deferring or self.headers_sent:
                return super().send_headers()
            lines = self.default_headers()
            lines.extend(f"{name}: {value}\r\n" for name, value in self.headers)
            self._head = util.to_bytestring("{}\r\n".format("".join(lines)), "latin-1")
            self.headers_sent = True

        def _emit_body(self, data):
            head, self._head = self._head, b""
            if not head:
                return super()._emit_body(data)
            if self.chunked:
                data = b"%X\r\n%s\r\n" % (len(data), data)
            util.write(self.sock, head + data)

        def write(self, arg):
            # Only within write: sendfile and close send their head as gunicorn does.
            self._deferring = not self.headers_sent
            try:
                super().write(arg)
            finally:
                self._deferring = False
                head, self._head = self._head, b""
                if head:  # the write sent no body bytes (none allowed, or none left)
                    util.write(self.sock, head)

    return OneWriteResponse


def _install_response_class() -> None:
    # In the worker (after the fork): gunicorn builds each response from this module global.
    from gunicorn.http import wsgi

    if not getattr(wsgi.Response, "one_write", False):
        wsgi.Response = _one_write_response_class()


class SyncServiceWorker(_ServiceWorkerMixin, SyncWorker):
    """A sync worker (one request at a time, no slow-client protection), for comparison."""

    def load_wsgi(self):
        super().load_wsgi()
        _install_response_class()
        self.wsgi = BufferedBody(self.wsgi, _front, _no_timeout)


def _no_timeout(seconds: float):
    import contextlib

    return contextlib.nullcontext()


def _gevent_worker_class():
    from gunicorn.workers.ggevent import GeventWorker

    class GeventServiceWorker(_ServiceWorkerMixin, GeventWorker):
        """A gevent worker with header and body deadlines."""

        def patch(self):
            super().patch()
            # psycopg chose its wait function when imported, before gevent patched select:
            # switch to one that yields to other greenlets while waiting on the database.
            import psycopg.waiting

            if psycopg.waiting.wait is getattr(psycopg.waiting, "wait_c", None):
                psycopg.waiting.wait = psycopg.waiting.wait_poll

        def timeout_ctx(self):
            import gevent

            # Covers reading a request line and headers (and the idle wait between requests).
            return gevent.Timeout(_front.header_timeout, False)

        def load_wsgi(self):
            super().load_wsgi()
            _install_response_class()
            self.gate = FifoGate(self.wsgi)
            self.wsgi = BufferedBody(self.gate, _front, _gevent_timeout)

        def run(self):
            # gunicorn builds its servers inside run(); the gate needs them to pause accepting.
            from gunicorn.workers import ggevent

            gate = self.gate

            class GatedStreamServer(ggevent.StreamServer):
                def start(self):
                    super().start()
                    gate.servers.append(self)

            ggevent.StreamServer = GatedStreamServer
            super().run()

    return GeventServiceWorker


class FifoGate:
    """WSGI middleware for a gevent worker: requests run their application code one at a time,
    strictly in the order they asked, and the worker takes new connections only while its
    queue is short.

    The redaction endpoints are CPU-bound, so greenlets gain nothing by interleaving. Left to
    the hub, a greenlet that has just answered on a keep-alive connection often finds the
    client's next request already there and runs it without yielding, so a few connections are
    served over and over while the rest wait seconds. Here a finished request hands the turn to
    the longest waiter (no barging). The turn passes on the next turn of the event loop (a
    zero timer), not as a callback: the hub runs up to fifty callbacks before it looks at the
    sockets again, so a chain of hand-offs would keep requests that have just arrived from
    even joining the queue. And the connection whose request has just had the turn waits one
    loop turn before its next request asks for it: nothing yields while the engine runs, so
    requests read in the meantime would otherwise find the gate free only after that
    connection had taken it again, a race whose outcome depended on the engine's speed.
    Probes (``/health``, ``/ready``) do not queue.

    Keep-alive connections also stick to the worker that accepted them, and a busy worker
    would go on accepting: its clients then wait several times longer than the other's. So
    while others are waiting for the turn, a response closes its connection, and while
    ``max_waiting`` requests wait, the worker stops accepting: the client's next connection
    waits in the listening socket's queue, in order, for whichever worker is free first (what
    a sync worker does), while the reading of slow requests still goes on in greenlets.
    A request that held the turn longer than ``long_turn`` seconds (a batch) closes its
    connection too: while it ran nothing else was read, so requests that arrived meanwhile
    on other keep-alive connections are not yet waiting at the gate, and two batch clients
    would otherwise stay on one worker while another is idle.
    """

    def __init__(
        self,
        app,
        skip_paths: tuple[str, ...] = ("/health", "/ready"),
        max_waiting: int = 1,
        long_turn: float = 0.25,
    ):
        self.app = app
        self.skip_paths = skip_paths
        self.max_waiting = max_waiting
        self.long_turn = long_turn
        self.servers: list = []  # the worker's gevent servers, to pause and resume accepting
        self._busy = False
        self._waiters: deque = deque()
        self._accepting = True
        self._last_holder = None  # the greenlet that held the turn last

    def _acquire(self) -> None:
        import gevent

        current = gevent.getcurrent()
        if current is self._last_holder:
            # This connection's previous request has just had the turn: let one turn of the
            # event loop pass first, so requests that arrived meanwhile (read, but not yet
            # queued: nothing yields while the engine runs) queue ahead of it, however fast
            # the engine was and whether or not its client's next request was already there.
            self._last_holder = None
            _next_loop_turn()
        if not self._busy and not self._waiters:
            self._busy = True
            return
        from gevent.event import Event

        turn = Event()
        self._waiters.append(turn)
        if len(self._waiters) >= self.max_waiting:
            self._set_accepting(False)
        try:
            turn.wait()
        except BaseException:
            # A timeout or kill while waiting: give up the place, or pass on a turn just given.
            if turn.is_set():
                self._release()
            else:
                self._waiters.remove(turn)
                self._resume_if_short()
            raise

    def _release(self) -> None:
        import gevent

        self._last_holder = gevent.getcurrent()
        if self._waiters:
            self._hand_over(self._waiters.popleft())  # _busy stays True
        else:
            self._busy = False
        self._resume_if_short()

    @staticmethod
    def _hand_over(turn) -> None:
        import gevent

        timer = gevent.get_hub().loop.timer(0.0)

        def go() -> None:
            timer.close()
            turn.set()

        timer.start(go)

    def _resume_if_short(self) -> None:
        if len(self._waiters) < self.max_waiting:
            self._set_accepting(True)

    def _set_accepting(self, accepting: bool) -> None:
        if accepting == self._accepting:
            return
        self._accepting = accepting
        for server in self.servers:
            if accepting:
                if server.started:
                    server.start_accepting()
            else:
                server.stop_accepting()

    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO", "") in self.skip_paths:
            return self.app(environ, start_response)
        self._acquire()
        try:
            # The view runs here; a streamed body (an audit export) is read after the turn,
            # since streaming waits on the database and the client, not the CPU.
            started = time.monotonic()
            body = self.app(environ, start_response)
            if self._waiters or time.monotonic() - started > self.long_turn:
                _close_after(start_response)  # gunicorn writes the response after this
            return body
        finally:
            self._release()


def _next_loop_turn() -> None:
    """Wait for the next turn of the event loop, after it has polled the sockets (a zero
    timer: `gevent.sleep(0)` only waits for the callbacks already queued)."""
    import gevent

    hub = gevent.get_hub()
    timer = hub.loop.timer(0.0)
    try:
        hub.wait(timer)
    finally:
        timer.close()


def _close_after(start_response) -> None:
    """Make gunicorn close the connection after this response (it drops an app's
    ``Connection`` header, so this goes through its response object)."""
    response = getattr(start_response, "__self__", None)
    if response is not None and hasattr(response, "force_close"):
        response.force_close()


def _gevent_timeout(seconds: float):
    import gevent

    return gevent.Timeout(seconds, TimeoutError)


class _Server(BaseApplication):
    def __init__(self, options: dict):
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        # Runs in each worker after the fork: pools and engines are never shared across forks.
        from service import create_app

        return create_app({"PRIVACY_WARM_ENGINE": True})


def _worker_exit(server, worker) -> None:
    # Write the audit counts this worker still holds before it goes (a recycle or a stop).
    app = getattr(worker, "wsgi", None)
    while isinstance(app, BufferedBody | FifoGate):
        app = app.app
    aggregator = getattr(app, "extensions", {}).get("privacy.audit_aggregate")
    if aggregator is not None:
        aggregator.close()


def run_gunicorn(
    *, host: str, port: int, workers: int, worker_class: str, config: dict[str, Any]
) -> None:
    """Serve on host:port until interrupted."""
    global _front
    _front = front_settings(config)
    _Server(
        {
            "bind": f"{host}:{port}",
            "workers": workers,
            "worker_class": _gevent_worker_class()
            if worker_class == "gevent"
            else SyncServiceWorker,
            "worker_connections": _front.worker_connections,
            "accesslog": None,  # the app writes one JSON line per request itself
            "timeout": 60,
            "graceful_timeout": 20,
            # Also the gevent worker's deadline for the next request's headers.
            "keepalive": max(1, int(_front.header_timeout)),
            # No control socket: its default path is shared by every server of the user.
            "control_socket_disable": True,
            "limit_request_line": 8190,
            "limit_request_fields": 100,
            "limit_request_field_size": 8190,
            # Recycling is by work done (texts, memory: _ServiceWorkerMixin), not by requests.
            "worker_exit": _worker_exit,
        }
    ).run()
