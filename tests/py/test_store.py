"""FlowStateStore against a real server: round trips, versions, phases, pools, JSON fidelity."""

from __future__ import annotations

import uuid
from datetime import datetime, timezone

import asyncpg

from flowdocs import new_context, new_doc
from pgflowstate import FlowState, FlowStateStore, FlowStateValidator
from pgflowstate.codec import decode_json


async def test_create_then_load_returns_the_same_document(store):
    flow_id = uuid.uuid4()
    doc = new_doc(flow_id, records=[{"id": 1, "name": "db01"}], source="cmdb")

    saved = await store.save_state(flow_id, doc)
    loaded = await store.load_state(flow_id)

    assert isinstance(saved, FlowState)
    assert saved.flow_id == flow_id and saved.flow_version == 1
    assert saved.flow_type == "discovery" and saved.status == "running"
    assert saved.current_phase == "data_import" and saved.phases_completed == []
    assert isinstance(saved.created_at, datetime) and saved.created_at.tzinfo is not None
    # The database does not echo state_data; the wrapper gives back the caller's.
    assert saved.state_data == doc["state_data"]
    assert loaded == saved
    ctx = store.context
    assert loaded.metadata == {
        "client_account_id": str(ctx.client_account_id),
        "engagement_id": str(ctx.engagement_id),
        "user_id": str(ctx.user_id),
    }


async def test_save_with_the_loaded_version_writes_the_next_version(store):
    flow_id = uuid.uuid4()
    await store.save_state(flow_id, new_doc(flow_id, step=1))
    loaded = await store.load_state(flow_id)
    doc = loaded.document()
    doc["state_data"]["step"] = 2

    saved = await store.save_state(flow_id, doc, version=loaded.flow_version)

    assert saved.flow_version == 2 and saved.state_data == {"step": 2}
    assert (await store.load_state(flow_id)).state_data == {"step": 2}
    # A loaded FlowState itself can be sent back.
    again = await store.save_state(flow_id, await store.load_state(flow_id), version=2)
    assert again.flow_version == 3


async def test_phase_argument_sets_current_phase_without_touching_the_callers_dict(store):
    flow_id = uuid.uuid4()
    await store.save_state(flow_id, new_doc(flow_id))
    doc = new_doc(flow_id, completed=("data_import",), mappings={})

    saved = await store.save_state(flow_id, doc, phase="field_mapping", version=1)

    assert saved.current_phase == "field_mapping"
    assert saved.phases_completed == ["data_import"]
    assert doc["current_phase"] == "data_import"


async def test_flow_id_may_be_a_string(store):
    flow_id = uuid.uuid4()
    await store.save_state(str(flow_id), new_doc(flow_id))
    assert (await store.load_state(str(flow_id))).flow_id == flow_id


async def test_put_state_creates_then_replaces_without_a_version(store):
    flow_id = uuid.uuid4()
    first = await store.put_state(flow_id, new_doc(flow_id, n=1), label="kickoff")
    second = await store.put_state(flow_id, new_doc(flow_id, n=2), label="step")

    assert (first.flow_version, second.flow_version) == (1, 2)
    assert second.state_data == {"n": 2}
    assert (await store.load_state(flow_id)).state_data == {"n": 2}


async def test_transition_moves_the_phase_and_keeps_the_state(store):
    flow_id = uuid.uuid4()
    await store.save_state(flow_id, new_doc(flow_id, rows=3))

    moved = await store.transition_phase(flow_id, "field_mapping", version=1)

    assert moved.current_phase == "field_mapping"
    assert moved.phases_completed == ["data_import"]
    assert moved.flow_version == 2
    assert moved.state_data is None  # not sent back: it did not change
    assert (await store.load_state(flow_id)).state_data == {"rows": 3}
    # Without a version the move is still checked, atomically, against the stored state.
    assert (await store.transition_phase(flow_id, "data_cleansing")).flow_version == 3


async def test_loads_return_flow_load_states_document_exactly(app_dsn, store):
    # load_state and load_states read each document in two parts (flow_load_state_parts) and put
    # state_data back in here: the result is what flow_load_state's whole document gives, for
    # every shape of document, exact values included, through create_pool's codecs and a plain
    # pool's JSON text alike.
    plain_id, fork_id = uuid.uuid4(), uuid.uuid4()
    await store.save_state(plain_id, new_doc(plain_id, exact={"exponent": 1e16, "negative_zero": -0.0},
                                             big=2**70, nested={"a": [1, 2.5, None]}))
    await store.create_checkpoint(plain_id, label="before the fork")
    await store.fork(plain_id, new_flow_id=fork_id)
    await store.transition_phase(fork_id, "failed")
    pool = await asyncpg.create_pool(app_dsn, min_size=1, max_size=1)
    try:
        for reader in (store, FlowStateStore(pool, store.context)):
            for flow_id in (plain_id, fork_id):
                whole = await pool.fetchval("select flowstate.flow_load_state($1, $2)::text", flow_id, store._context)
                expected = FlowState.model_validate(decode_json(whole))
                loaded = await reader.load_state(flow_id)
                assert loaded == expected and loaded.model_dump() == expected.model_dump()
                assert loaded.model_fields_set == expected.model_fields_set
                assert (await reader.load_states([flow_id]))[flow_id] == expected
                assert expected.checkpoints if flow_id == plain_id else expected.forked_from and expected.failed_phase
            exact = (await reader.load_state(plain_id)).state_data["exact"]
            assert repr(exact) == "{'exponent': 1e+16, 'negative_zero': -0.0}"
            assert await reader.load_state(uuid.uuid4()) is None
    finally:
        await pool.close()


async def test_load_of_a_missing_flow_is_none(store):
    assert await store.load_state(uuid.uuid4()) is None


async def test_validation_reports_and_never_writes(app_pool, store):
    flow_id = uuid.uuid4()
    good = new_doc(flow_id)
    bad = {"flow_id": "nope", "current_phase": 7, "phases_completed": "x", "state_data": []}

    assert await store.validate_state(good) == []
    errors = await store.validate_state(bad)
    assert len(errors) >= 4 and all(isinstance(e, str) for e in errors)
    assert await store.validate_phase_transition(good, "field_mapping") is True
    assert await store.validate_phase_transition(good, "asset_inventory") is False

    validator = FlowStateValidator(app_pool)
    assert await validator.validate(good) == []
    assert await validator.validate(bad) == errors
    assert await validator.is_valid_transition(good, "failed") is True
    # JSON PostgreSQL cannot read is reported, not raised, by validate.
    assert len(await validator.validate('{"flow_id": ')) == 1
    assert await store.load_state(flow_id) is None


async def test_a_plain_asyncpg_pool_works_too(app_dsn):
    pool = await asyncpg.create_pool(app_dsn, min_size=1, max_size=2)
    try:
        plain = FlowStateStore(pool, new_context())
        flow_id = uuid.uuid4()
        saved = await plain.save_state(flow_id, new_doc(flow_id, nested={"a": [1, 2.5, None]}))
        loaded = await plain.load_state(flow_id)
        assert loaded == saved
        assert loaded.state_data == {"nested": {"a": [1, 2.5, None]}}
        assert (await plain.transition_phase(flow_id, "field_mapping")).flow_version == 2
        assert await plain.validate_state(new_doc(flow_id)) == []
    finally:
        await pool.close()


async def test_hostile_but_valid_strings_round_trip_exactly(store):
    flow_id = uuid.uuid4()
    hostile = {
        "sql": "'); drop table flowstate.flows; --",
        "dollar": "$$ $body$ \\",
        "escaped_nul": "\\u0000",  # a backslash and five characters, not a NUL
        "unicode": "\u202eevil\u202c \U0001d54f é 中文 \ufeff",
        "format": "%s %(x)s {0} {{}}",
        "html": "<script>alert(1)</script>",
        "control": "\t\r\n\x01\x1f",
        "key with spaces and \"quotes\"": True,
        "big": 2**70,
        "negative": -(2**63),
        "past_signed": -(2**63) - 1,  # 19 digits, which orjson would make a float
        "past_unsigned": 2**64,
        "float": 0.1,
        "long": "x" * 100_000,
    }
    saved = await store.save_state(flow_id, new_doc(flow_id, **hostile))
    loaded = await store.load_state(flow_id)
    assert loaded.state_data == hostile == saved.state_data


async def test_integers_past_64_bits_beside_datetimes_and_uuids_are_saved(store):
    # orjson writes datetimes and UUIDs but refuses integers past 64 bits; the fallback for
    # those must still write the rest as orjson would.
    flow_id, ref = uuid.uuid4(), uuid.uuid4()
    when = datetime(2026, 11, 27, 5, 0, tzinfo=timezone.utc)
    await store.save_state(flow_id, new_doc(flow_id, big=2**70, when=when, ref=ref, pair=(1, 2)))
    loaded = await store.load_state(flow_id)
    assert loaded.state_data == {"big": 2**70, "when": "2026-11-27T05:00:00+00:00", "ref": str(ref), "pair": [1, 2]}
