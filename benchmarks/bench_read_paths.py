"""The calls besides the hot save and load, each on its own connection, interleaved in one
process: a DBA's save from psql (no request id), a batch load of 8 flows, a page of history, a
page of history since a time, time travel to the middle of a 300-version history, a diff of two
versions and a page of checkpoints, on a flow with the `pgflowstate bench` 1 KB state; and, among
the rows of 5,000 other tenants (written directly, as the superuser), the inspector's overview
(a tenant's counts and activity), a tenant's figures (flow_stats) and the search for its
quarantined flows (2 among its 5,000). Reports
p50 and the backend's CPU per call (from /proc, so the server must run on this machine). With
--baseline DIR (a db/ folder of another revision, e.g. from `git archive main db | tar -x -C
/tmp/base`), the same calls on a second database built from it join the same rounds, with each
call's ratio to its baseline (below 1: faster now). This is where statements planned again on
every call showed (tests/py/test_plans.py).

    PYTHONPATH=python python benchmarks/bench_read_paths.py [--dsn DSN] [--rounds 20] [--calls 50] [--baseline DIR]
"""

from __future__ import annotations

import asyncio
import json
import uuid

from common import baseline_database, bench_database, interleaved, measured_pool, path_arguments

from pgflowstate.cli.bench import state_data, step
from pgflowstate.models import RequestContext
from pgflowstate.store import FlowStateStore

VERSIONS = 300
BATCH = 8
OTHER_TENANTS = 5000
# Other tenants' rows, written directly (the superuser, triggers off): overview tallies (16 slots
# of counts each, writes in each of the last 24 hours), quarantined documents (of flows not in
# this database: the rows are what is read), and 4 flows each with their creation's audit row.
OTHER_ROWS = f"""
insert into flowstate.flow_tallies
select gen_random_uuid(), gen_random_uuid(), 'discovery', 'data_import', 'running', s, 1
  from generate_series(1, {OTHER_TENANTS}) t, generate_series(0, 15) s;
insert into flowstate.activity_tallies
select gen_random_uuid(), gen_random_uuid(), date_trunc('hour', now()) - h * interval '1 hour', 0, 1
  from generate_series(1, {OTHER_TENANTS}) t, generate_series(0, 23) h;
insert into flowstate.quarantine (flow_id, generation, flow_version, document, errors)
select gen_random_uuid(), 1, 1, '{{}}', '{{}}' from generate_series(1, {OTHER_TENANTS});
set session_replication_role = replica;
with made as (
  insert into flowstate.flows (flow_id, flow_type, client_account_id, engagement_id, user_id, flow_version, current_phase,
                               phases_completed, status, state_data, metadata)
  select gen_random_uuid(), 'discovery', t.client, t.engagement, gen_random_uuid(), 1, 'data_import', '{{}}', 'running',
         '{{}}', '{{}}'
    from (select gen_random_uuid() as client, gen_random_uuid() as engagement from generate_series(1, {OTHER_TENANTS})) t,
         generate_series(1, 4)
  returning flow_id)
insert into flowstate.audit_log (flow_id, generation, operation, new_version, new_phase, actor_role, snapshot)
select made.flow_id, 0, 'create', 1, 'data_import', 'bench', '{{}}' from made;
reset session_replication_role;
analyze flowstate.flow_tallies, flowstate.activity_tallies, flowstate.quarantine, flowstate.flows, flowstate.audit_log;
"""


def own_flows(context: RequestContext) -> str:
    """The caller's own older flows, written the same way: its tenant then has 5,000 flows more,
    for the search of its quarantined flows (two, made by flow_handle_corrupted below)."""
    return f"""
set session_replication_role = replica;
insert into flowstate.flows (flow_id, flow_type, client_account_id, engagement_id, user_id, flow_version, current_phase,
                             phases_completed, status, state_data, metadata, updated_at)
select gen_random_uuid(), 'discovery', '{context.client_account_id}', '{context.engagement_id}', '{context.user_id}', 1,
       'data_import', '{{}}', 'running', '{{}}', '{{}}', now() - interval '1 day'
  from generate_series(1, 5000);
reset session_replication_role;
analyze flowstate.flows;
"""


def document(flow_id: uuid.UUID, data: dict, i: int) -> dict:
    return {"flow_id": str(flow_id), "current_phase": "field_mapping", "phases_completed": ["data_import"],
            "state_data": step(data, i)}


async def calls(database: str, suffix: str, pids: dict, closers: list) -> dict:
    """Each call on a one-connection pool of its own (named call + suffix), over flows saved here."""
    data = state_data(1024)
    context = RequestContext(client_account_id=uuid.uuid4(), engagement_id=uuid.uuid4(), user_id=uuid.uuid4())
    setup_pool = await measured_pool(database, f"setup{suffix}", pids, closers)
    store = FlowStateStore(setup_pool, context)
    flow_ids = [uuid.uuid4() for _ in range(BATCH)]
    for flow_id in flow_ids:
        await store.save_state(flow_id, document(flow_id, data, 0))
    flow_id = flow_ids[0]
    for version in range(1, VERSIONS):
        await store.save_state(flow_id, document(flow_id, data, version), version=version)
        if version % 30 == 0:
            await store.create_checkpoint(flow_id)
    since = (await store.history(flow_id))[VERSIONS // 2].logged_at
    await setup_pool.execute(OTHER_ROWS)
    await setup_pool.execute(own_flows(context))
    for quarantined in flow_ids[2:4]:
        await store.handle_corrupted(quarantined)
    dba_id, dba_version = flow_ids[1], 1
    dba_context = context.model_dump(mode="json")

    async def dba_save(pool, i: int) -> None:
        nonlocal dba_version
        dba_version = (await pool.fetchval("select flowstate.flow_save_state($1, $2, $3, $4)", dba_id,
                                           document(dba_id, data, i), dba_version, dba_context))["flow_version"]

    async def stats(pool, i: int) -> None:
        await pool.fetchval("select flowstate.flow_stats($1)", dba_context)

    def on_store(call):
        return lambda s, i: call(s)

    paths = {
        "dba_save": dba_save,
        "load_states": on_store(lambda s: s.load_states(flow_ids)),
        "history": on_store(lambda s: s.history(flow_id, limit=50)),
        "history_since": on_store(lambda s: s.history(flow_id, since=since, limit=50)),
        "state_at": on_store(lambda s: s.state_at(flow_id, VERSIONS // 2)),
        "diff": on_store(lambda s: s.diff(flow_id, VERSIONS // 2, VERSIONS // 2 + 10)),
        "checkpoints": on_store(lambda s: s.list_checkpoints(flow_id, limit=5)),
        "counts": on_store(lambda s: s.counts()),
        "activity": on_store(lambda s: s.activity()),
        "stats": stats,
        "search_quarantined": on_store(lambda s: s.search(quarantined=True)),
    }
    ops = {}
    for name, path in paths.items():
        pool = await measured_pool(database, name + suffix, pids, closers)
        target = pool if name in ("dba_save", "stats") else FlowStateStore(pool, context)
        ops[name + suffix] = (lambda p, t: lambda i: p(t, i))(path, target)
    return ops


async def main(dsn: str, baseline_dsn: str | None, rounds: int, n: int) -> dict:
    closers, pids = [], {}
    try:
        ops = await calls(dsn, "", pids, closers)
        if baseline_dsn:
            ops |= await calls(baseline_dsn, "_baseline", pids, closers)
        result = await interleaved(ops, pids, rounds, n)
        if baseline_dsn:
            result["ratio_to_baseline"] = {
                name: {"p50": round(r["p50_ms"] / result[f"{name}_baseline"]["p50_ms"], 2),
                       "cpu": round(r["cpu_us"] / max(result[f"{name}_baseline"]["cpu_us"], 1), 2)}
                for name, r in list(result.items()) if not name.endswith("_baseline")}
        return result
    finally:
        for close in reversed(closers):
            await close()


if __name__ == "__main__":
    args = path_arguments(__doc__).parse_args()
    with bench_database(args.dsn) as database, baseline_database(database, args.baseline) as baseline:
        print(json.dumps(asyncio.run(main(database, baseline, args.rounds, args.calls)), indent=1))
