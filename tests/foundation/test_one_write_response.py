"""The workers' HTTP/1 response: gunicorn's bytes on the wire, the head sent with the body."""

from __future__ import annotations

import pytest
from gunicorn.http import wsgi

from service.server import _one_write_response_class


class _Socket:
    def __init__(self):
        self.writes: list[bytes] = []

    def sendall(self, data: bytes) -> None:
        self.writes.append(bytes(data))


class _Request:
    version = (1, 1)

    def __init__(self, method: str = "POST"):
        self.method = method

    def should_close(self) -> bool:
        return False


class _Config:
    protocol = "http"


def _send(response_class, method, status, headers, body_items):
    sock = _Socket()
    response = response_class(_Request(method), sock, _Config())
    response.start_response(status, headers)
    for item in body_items:
        response.write(item)
    response.close()
    return sock.writes


def _same_day(data: bytes) -> bytes:
    # The Date header is the only part that can differ between two responses.
    return b"\r\n".join(
        line for line in data.split(b"\r\n") if not line.lower().startswith(b"date:")
    )


CASES = [
    (
        "POST",
        "200 OK",
        [("Content-Type", "application/json"), ("Content-Length", "11")],
        [b'{"text": 1}'],
    ),
    ("POST", "200 OK", [("Content-Type", "application/json")], [b'{"a"', b": 1}"]),  # chunked
    ("HEAD", "200 OK", [("Content-Length", "11")], [b'{"text": 1}']),  # no body allowed
    ("POST", "204 No Content", [], [b""]),
    ("POST", "200 OK", [("Content-Length", "3")], [b"abcdef", b"gh"]),  # cut at the length
    ("POST", "200 OK", [("Content-Length", "0")], []),
]


@pytest.mark.parametrize(("method", "status", "headers", "body"), CASES)
def test_the_bytes_sent_are_gunicorns(method, status, headers, body):
    ours = _send(_one_write_response_class(), method, status, headers, body)
    theirs = _send(wsgi.Response, method, status, headers, body)
    assert _same_day(b"".join(ours)) == _same_day(b"".join(theirs))


def test_a_json_answer_is_one_write():
    writes = _send(
        _one_write_response_class(),
        "POST",
        "200 OK",
        [("Content-Type", "application/json"), ("Content-Length", "11")],
        [b'{"text": 1}'],
    )
    assert len(writes) == 1
    assert writes[0].startswith(b"HTTP/1.1 200 OK\r\n")
    assert writes[0].endswith(b'\r\n\r\n{"text": 1}')
