"""Summed audit records: counts add up, a failed write keeps them, a stop writes them."""

from __future__ import annotations

import time
import uuid

from service.audit import Actor
from service.audit.aggregate import AuditAggregator

KEY = Actor(key_id=uuid.uuid4(), role="moderator", request_id="r1")


def test_counts_are_summed_per_actor_and_action():
    written = []
    aggregator = AuditAggregator(written.extend, interval=60)
    aggregator.add(KEY, "redact.performed", {"texts": 1, "entity_types": {"PERSON": 2}})
    aggregator.add(KEY, "redact.performed", {"texts": 2, "entity_types": {"PERSON": 1, "IBAN": 1}})
    aggregator.add(KEY, "redact.analyzed", {"texts": 1, "languages": ["nl"]})
    aggregator.close()
    by_action = {a.action: a.details() for a in written}
    assert by_action["redact.performed"]["requests"] == 2
    assert by_action["redact.performed"]["texts"] == 3
    assert by_action["redact.performed"]["entity_types"] == {"IBAN": 1, "PERSON": 3}
    assert by_action["redact.analyzed"]["languages"] == ["nl"]
    # The aggregate carries the key and role, never one request's id.
    assert {a.actor.request_id for a in written} == {None}


def test_a_failed_write_keeps_the_counts_for_the_next_try():
    attempts = []

    def flaky(batch):
        attempts.append(batch)
        if len(attempts) == 1:
            raise OSError("database away")

    aggregator = AuditAggregator(flaky, interval=60)
    aggregator.add(KEY, "redact.performed", {"texts": 1})
    assert aggregator.flush() == 0
    aggregator.add(KEY, "redact.performed", {"texts": 4})
    assert aggregator.flush() == 1
    (aggregate,) = attempts[-1]
    assert aggregate.details()["requests"] == 2
    assert aggregate.details()["texts"] == 5


def test_the_background_thread_writes_each_interval():
    written = []
    aggregator = AuditAggregator(written.extend, interval=0.05)
    aggregator.add(KEY, "redact.performed", {"texts": 1})
    for _ in range(100):
        if written:
            break
        time.sleep(0.02)
    aggregator.close()
    assert [a.action for a in written] == ["redact.performed"]
