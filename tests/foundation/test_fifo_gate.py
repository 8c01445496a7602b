"""The gevent worker's gate: application code runs one request at a time, in arrival order."""

from __future__ import annotations

import gevent
import pytest

from service.server import FifoGate


class _Response:
    """Stands in for gunicorn's response object behind `start_response`."""

    def __init__(self):
        self.closed = False

    def force_close(self):
        self.closed = True

    def start_response(self, status, headers):
        return lambda data: None


def _app(log: list[str]):
    def app(environ, start_response):
        name = environ["name"]
        log.append(f"start {name}")
        gevent.sleep(0.01)  # a database call: other greenlets run meanwhile
        log.append(f"end {name}")
        start_response("200 OK", [])
        return [name.encode()]

    return app


def _call(gate, name, path="/v1/redact"):
    response = _Response()
    body = gate({"PATH_INFO": path, "name": name}, response.start_response)
    return b"".join(body).decode(), response.closed


def test_requests_run_one_at_a_time_in_the_order_they_arrived():
    log: list[str] = []
    gate = FifoGate(_app(log))
    greenlets = [gevent.spawn(_call, gate, f"r{n}") for n in range(5)]
    gevent.joinall(greenlets, raise_error=True)
    assert log == [step for n in range(5) for step in (f"start r{n}", f"end r{n}")]
    assert [g.value[0] for g in greenlets] == [f"r{n}" for n in range(5)]


def test_a_request_that_finishes_cannot_jump_the_queue_with_its_next_one():
    log: list[str] = []
    gate = FifoGate(_app(log))

    def keep_alive_client():
        # Two requests back to back on one connection, the second sent at once.
        _call(gate, "a1")
        _call(gate, "a2")

    first = gevent.spawn(keep_alive_client)
    gevent.sleep(0)  # a1 holds the turn
    others = [gevent.spawn(_call, gate, f"b{n}") for n in range(2)]
    gevent.joinall([first, *others], raise_error=True)
    starts = [line.removeprefix("start ") for line in log if line.startswith("start")]
    assert starts == ["a1", "b0", "b1", "a2"]


def test_a_busy_worker_closes_connections_and_a_free_one_keeps_them():
    log: list[str] = []
    gate = FifoGate(_app(log))
    alone = _call(gate, "solo")
    assert alone == ("solo", False)  # nobody waiting: keep-alive stays
    greenlets = [gevent.spawn(_call, gate, f"r{n}") for n in range(3)]
    gevent.joinall(greenlets, raise_error=True)
    closed = [g.value[1] for g in greenlets]
    # While others wait, the connection is closed, so the client's next one can go to a
    # worker that is free; the last of the queue finds nobody waiting.
    assert closed == [True, True, False]


def test_a_long_request_closes_its_connection_even_when_nobody_waits_yet():
    # A batch holds the turn for long; other keep-alive clients' requests that arrived during
    # it are not read yet, so the gate cannot see them: the connection is closed anyway, and
    # the client's next batch goes through the listening queue to a free worker.
    def batch(environ, start_response):
        gevent.sleep(0.05)
        start_response("200 OK", [])
        return [b"batch"]

    gate = FifoGate(batch, long_turn=0.02)
    assert _call(gate, "batch") == ("batch", True)
    quick = FifoGate(batch, long_turn=1.0)
    assert _call(quick, "batch") == ("batch", False)


def test_probes_do_not_wait_for_the_turn():
    log: list[str] = []
    gate = FifoGate(_app(log))
    busy = gevent.spawn(_call, gate, "slow")
    gevent.sleep(0)
    probe = gevent.spawn(_call, gate, "probe", "/health")
    gevent.joinall([busy, probe], raise_error=True)
    assert log.index("start probe") < log.index("end slow")


def test_a_waiter_that_times_out_gives_up_its_place():
    log: list[str] = []
    gate = FifoGate(_app(log))
    holder = gevent.spawn(_call, gate, "holder")
    gevent.sleep(0)

    def impatient():
        with gevent.Timeout(0.001):
            _call(gate, "impatient")

    waiter = gevent.spawn(impatient)
    after = gevent.spawn(_call, gate, "after")
    gevent.joinall([holder, waiter, after])
    assert isinstance(waiter.exception, gevent.Timeout)
    assert "start impatient" not in log
    assert after.value == ("after", False)
    # The gate is free again.
    assert _call(gate, "last") == ("last", False)


@pytest.mark.parametrize("path", ["/health", "/ready"])
def test_probes_keep_their_connection(path):
    gate = FifoGate(_app([]))
    assert _call(gate, "p", path) == ("p", False)


class _Server:
    """Records what the gate asks of a gevent server's accepting."""

    started = True

    def __init__(self):
        self.accepting = True
        self.changes: list[bool] = []

    def start_accepting(self):
        self.accepting = True
        self.changes.append(True)

    def stop_accepting(self):
        self.accepting = False
        self.changes.append(False)


def test_a_worker_with_a_queue_takes_no_new_connections_until_it_is_short_again():
    seen: list[bool] = []
    server = _Server()

    def app(environ, start_response):
        seen.append(server.accepting)
        gevent.sleep(0.01)
        start_response("200 OK", [])
        return [b""]

    gate = FifoGate(app)
    gate.servers.append(server)
    assert _call(gate, "alone") == ("", False)
    assert server.changes == []  # never busy enough to stop
    greenlets = [gevent.spawn(_call, gate, f"r{n}") for n in range(3)]
    gevent.joinall(greenlets, raise_error=True)
    # r0 starts before the others arrive; r1 and r2 queue behind it, so accepting stops and
    # r1 runs with r2 still waiting; when r2's turn comes nobody waits and accepting resumes.
    assert seen[1:] == [True, False, True]
    assert server.accepting is True
    assert server.changes[0] is False


def test_a_waiter_giving_up_resumes_accepting():
    server = _Server()
    gate = FifoGate(_app([]))
    gate.servers.append(server)
    holder = gevent.spawn(_call, gate, "holder")
    gevent.sleep(0)

    def impatient():
        with gevent.Timeout(0.001):
            _call(gate, "impatient")

    waiter = gevent.spawn(impatient)
    # Joined, not slept past: on a loaded machine both timers can fire in one loop turn.
    waiter.join(1)
    assert waiter.dead and isinstance(waiter.exception, gevent.Timeout)
    assert server.accepting is True  # nobody waits any more
    holder.join()


def test_a_fast_request_that_never_yields_still_lets_arrivals_go_before_its_next_one():
    # CPU-bound application code: nothing yields while it runs, however fast it is, so the
    # other clients' requests are read only when the hub gets a turn. The connection that has
    # just had the turn must not take it again before they have queued.
    log: list[str] = []

    def app(environ, start_response):
        log.append(environ["name"])
        start_response("200 OK", [])
        return [b""]

    gate = FifoGate(app)

    def keep_alive_client():
        for n in range(3):
            _call(gate, f"a{n}")

    first = gevent.spawn(keep_alive_client)
    others = [gevent.spawn(_call, gate, f"b{n}") for n in range(2)]
    gevent.joinall([first, *others], raise_error=True)
    assert log == ["a0", "b0", "b1", "a1", "a2"]


def test_a_lone_keep_alive_client_is_served_at_once():
    log: list[str] = []
    gate = FifoGate(_app(log))
    for n in range(3):
        assert _call(gate, f"r{n}") == (f"r{n}", False)
    assert log == [step for n in range(3) for step in (f"start r{n}", f"end r{n}")]
