"""API keys: create, list, revoke; only hashes are stored."""

from __future__ import annotations


def test_create_list_revoke(client, auth, conn):
    admin = auth("admin")
    created = client.post(
        "/v1/keys", json={"name": "moderation bot", "role": "moderator"}, headers=admin
    )
    assert created.status_code == 201
    body = created.get_json()
    assert body["key"].startswith("psk_") and len(body["key"]) > 40
    assert body["role"] == "moderator" and body["revoked_at"] is None

    new_key = {"Authorization": f"Bearer {body['key']}"}
    assert client.get("/v1/keys", headers=new_key).status_code == 403  # moderator, not admin

    listing = client.get("/v1/keys", headers=admin).get_json()["items"]
    assert body["id"] in {item["id"] for item in listing}
    assert all("key" not in item and "key_hash" not in item for item in listing)

    revoked = client.delete(f"/v1/keys/{body['id']}", headers=admin)
    assert revoked.status_code == 200
    assert revoked.get_json()["revoked_at"] is not None
    denied = client.get("/v1/keys", headers=new_key)
    assert denied.status_code == 401
    assert "revoked" in denied.get_json()["detail"]


def test_last_used_at_is_recorded(client, auth, conn):
    client.get("/v1/keys", headers=auth("admin"))
    rows = conn.execute("SELECT role, last_used_at FROM api_keys").fetchall()
    assert [r["last_used_at"] is not None for r in rows if r["role"] == "admin"] == [True]


def test_raw_key_appears_nowhere_in_the_database(client, auth, db_url):
    import subprocess

    created = client.post("/v1/keys", json={"name": "n", "role": "auditor"}, headers=auth("admin"))
    raw = created.get_json()["key"]
    client.get("/v1/keys", headers={"Authorization": f"Bearer {raw}"})  # used once (403)
    dump = subprocess.run(["pg_dump", "--data-only", db_url], capture_output=True, text=True)
    if dump.returncode == 0:
        assert raw not in dump.stdout
        assert raw.removeprefix("psk_") not in dump.stdout
    # Independent of pg_dump being on the machine: search every row of every table as text.
    import psycopg

    with psycopg.connect(db_url) as c:
        tables = [
            r[0]
            for r in c.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
            ).fetchall()
        ]
        for table in tables:
            rows = c.execute(f'SELECT t::text FROM "{table}" t').fetchall()
            text = "\n".join(r[0] for r in rows)
            assert raw not in text, table
            assert raw.removeprefix("psk_") not in text, table
