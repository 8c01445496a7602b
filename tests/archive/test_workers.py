"""`privacy-service worker` processes: they share the queue, and a killed one loses nothing."""

from __future__ import annotations

import pytest

from tests.archive.conftest import WorkerProcess, make_item, wait_for

pytestmark = pytest.mark.slow

CHUNK = 20
FILLER = (
    "The box was crushed on one side and the instructions were missing, so I could not put "
    "the shelf together this weekend as planned. Support told me to wait another week."
)


def long_text(n: int) -> str:
    return (
        f"Hello, my order {n:08d} arrived damaged. {FILLER} Call me at +31 6 {n:08d} "
        f"or mail buyer{n}@example.com."
    )


@pytest.fixture
def app_config(app_config: dict) -> dict:
    """Scan in small chunks, so a batch is many jobs."""
    return {**app_config, "PRIVACY_SCAN_CHUNK_ITEMS": CHUNK}


def _scan(client, auth, scan_id: str) -> dict:
    return client.get(f"/v1/scans/{scan_id}", headers=auth("privacy_officer")).get_json()


def test_two_worker_processes_share_the_queue(ingest, client, auth, db_url, tmp_path, query):
    workers = [
        WorkerProcess(db_url, tmp_path / f"w{n}", tmp_path / f"w{n}.log").start() for n in (1, 2)
    ]
    try:
        wait_for(
            lambda: query("SELECT count(*) AS n FROM procrastinate_workers")[0]["n"] == 2,
            timeout=60,
            message="both workers should register with the queue",
        )
        body = ingest(*[make_item(str(n), long_text(n)) for n in range(60)])
        scan = wait_for(
            lambda: (s := _scan(client, auth, body["scan_id"]))["status"] == "done" and s,
            timeout=90,
            message="the workers should finish the scan",
        )
    finally:
        for worker in workers:
            worker.stop()
    assert (scan["items_done"], scan["chunks_done"], scan["findings_found"]) == (60, 3, 180)
    assert [w.process.returncode for w in workers] == [0, 0], [w.log() for w in workers]
    # A graceful stop unregisters the worker.
    assert query("SELECT count(*) AS n FROM procrastinate_workers")[0]["n"] == 0
    public = client.get(
        f"/v1/feedback/{body['items'][0]['id']}/public", headers=auth("moderator")
    ).get_json()
    assert public["text"].startswith("Hello, my order <ORDER_NUMBER> arrived damaged.")
    assert "<PHONE_NUMBER> or mail <EMAIL_ADDRESS>." in public["text"]


def test_a_killed_worker_loses_nothing_and_duplicates_nothing(
    ingest, client, auth, db_url, tmp_path, query
):
    total = 400
    body = ingest(*[make_item(f"k{n}", long_text(n)) for n in range(total)])
    chunks = total // CHUNK

    def chunks_done() -> int:
        return query("SELECT count(*) AS n FROM scan_chunks WHERE done_at IS NOT NULL")[0]["n"]

    def scanning_now() -> list[dict]:
        return query(
            "SELECT id, args FROM procrastinate_jobs "
            "WHERE status = 'doing' AND task_name = 'archive:scan_chunk'"
        )

    stalled: list[dict] = []
    for attempt in range(3):
        # Kill a worker in the middle of a chunk, once some chunks are done. Should the kill
        # land between two jobs, nothing is stalled: start another and try again.
        first = WorkerProcess(db_url, tmp_path / "first", tmp_path / f"first{attempt}.log")
        first.start()
        try:
            wait_for(
                lambda: 0 < chunks_done() < chunks - 3 and scanning_now(),
                timeout=90,
                step=0.02,
                message="the first worker should get going",
            )
            first.kill()
        finally:
            first.stop()
        stalled = scanning_now()
        if stalled:
            break
    assert len(stalled) == 1, "the killed worker was scanning a chunk"
    assert chunks_done() < chunks

    second = WorkerProcess(db_url, tmp_path / "second", tmp_path / "second.log").start()
    try:
        scan = wait_for(
            lambda: (s := _scan(client, auth, body["scan_id"]))["status"] == "done" and s,
            timeout=120,
            message="the second worker should retry the stalled job and finish the scan",
        )
    finally:
        second.stop()

    assert (scan["items_done"], scan["chunks_done"], scan["chunks_failed"]) == (total, chunks, 0)
    # The second worker's sweep put the stalled job back; it then succeeded (and was deleted).
    assert "retried stalled jobs" in second.log()
    assert (
        query("SELECT id FROM procrastinate_jobs WHERE id = %(id)s", {"id": stalled[0]["id"]}) == []
    )
    # Every item scanned, each of its three values found exactly once.
    per_item = query(
        "SELECT f.id, f.finding_count, f.scanned_text_hash = f.text_hash AS current, "
        "       array_agg(d.entity_type ORDER BY d.entity_type) AS types "
        "FROM feedback_items f LEFT JOIN findings d ON d.item_id = f.id "
        "GROUP BY f.id"
    )
    assert len(per_item) == total
    assert all(row["current"] for row in per_item)
    assert {tuple(row["types"]) for row in per_item} == {
        ("EMAIL_ADDRESS", "ORDER_NUMBER", "PHONE_NUMBER")
    }
    assert {row["finding_count"] for row in per_item} == {3}
    assert scan["findings_found"] == 3 * total
