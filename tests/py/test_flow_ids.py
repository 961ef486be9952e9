"""flowstate.flow_id_for agrees with RFC 4122 (Python's uuid.uuid5) on any string.

The mapping lives in SQL only (its own SHA-1, so no extension is needed); this proves that
SQL implementation against the reference one, for ids of every shape and length."""

from __future__ import annotations

import random
import uuid

import asyncpg
import orjson

NAMESPACE = uuid.UUID("6f1c2a4e-8d3b-4c7a-9e5f-0b2d4a6c8e10")


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
        return True
    except ValueError:
        return False


async def test_flow_id_for_matches_python_uuid5(app_dsn):
    rng = random.Random(5)
    alphabet = "abcXYZ019-_ ./:éß漢🚀\t"
    ids = ["run-1", "", "7F27ADE4-0000-4000-8000-000000000001", "{7f27ade4-0000-4000-8000-000000000001}",
           "7f27ade40000400080000000000000001", "a" * 55, "a" * 56, "a" * 64, "a" * 1000,
           str(uuid.uuid4()), str(uuid.uuid4()).upper()]
    ids += ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 120))) for _ in range(200)]
    client, engagement = uuid.uuid4(), uuid.uuid4()
    context = orjson.dumps({"client_account_id": str(client), "engagement_id": str(engagement),
                            "user_id": str(uuid.uuid4())}).decode()
    conn = await asyncpg.connect(app_dsn)
    try:
        rows = await conn.fetch("select i, flowstate.flow_id_for(i, $2::jsonb) as id from unnest($1::text[]) i",
                                ids, context)
    finally:
        await conn.close()
    got = {r["i"]: r["id"] for r in rows}
    for external_id in ids:
        assert got[external_id] == _reference(external_id, client, engagement), external_id


def _reference(external_id: str, client: uuid.UUID, engagement: uuid.UUID) -> uuid.UUID:
    # Canonical form (lower-case, hyphenated) is the flow id itself; anything else is hashed.
    if _is_uuid(external_id) and str(uuid.UUID(external_id)) == external_id:
        return uuid.UUID(external_id)
    return uuid.uuid5(uuid.uuid5(NAMESPACE, f"{client}/{engagement}"), external_id)


async def test_a_batch_import_and_its_verification_map_ids_as_flow_id_for_does(app_dsn):
    """The batch import maps its ids with the tenant's namespace taken once, and verification
    each id once: the flow ids are still RFC 4122's, for text ids and canonical UUIDs alike."""
    client, engagement = uuid.uuid4(), uuid.uuid4()
    context = orjson.dumps({"client_account_id": str(client), "engagement_id": str(engagement),
                            "user_id": str(uuid.uuid4())}).decode()
    ids = ["run-1", "Run-1", str(uuid.uuid4()), str(uuid.uuid4()).upper(), "é/漢 🚀" * 9]
    states = [orjson.dumps({"id": external_id, "n": n}).decode() for n, external_id in enumerate(ids)]
    conn = await asyncpg.connect(app_dsn)
    try:
        results = orjson.loads(await conn.fetchval(
            "select flowstate.flow_import_legacy_batch($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9::jsonb)::text",
            ids, [1] * len(ids), list(range(1, len(ids) + 1)), ["start"] * len(ids),
            ["2026-01-01 00:00:00"] * len(ids), states, [None] * len(ids),
            orjson.dumps({"fingerprint": "test"}).decode(), context))
        verified = await conn.fetch("select external_id, flow_id, problems from flowstate.flow_import_verify($1, $2::jsonb)",
                                    ids, context)
    finally:
        await conn.close()
    expected = [_reference(external_id, client, engagement) for external_id in ids]
    assert [r["status"] for r in results] == ["migrated"] * len(ids)
    assert [uuid.UUID(r["flow_id"]) for r in results] == expected
    assert [(r["external_id"], r["flow_id"], r["problems"]) for r in verified] == [
        (external_id, flow_id, []) for external_id, flow_id in zip(ids, expected)]
