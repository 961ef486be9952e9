-- A page of flow_search is a walk down an index in list order that stops after the page: on
-- a table of thousands of flows the plan of every kind of search (the very statement
-- flow_search runs, under its own settings and as the function's owner under row-level
-- security) has no Seq Scan, and the tenant's and the all-flows pages read their index in
-- order (no Sort of a tenant's flows). Quarantined flows, a few, are the exception: they come
-- from the quarantined documents (by their tenant index) and are sorted.
-- benchmarks/bench_lifecycle.py measures the page at 1M flows against a bare indexed SELECT.
begin;
\ir ../_helpers.sql
\ir ../_lifecycle.sql
select plan(20);

-- 10,000 flows of 20 tenants (each a twentieth, as one of many would be), in every phase, some paused, some forks, distinct update times.
set local session_replication_role = replica;
insert into flowstate.flows (flow_id, flow_type, client_account_id, engagement_id, user_id, flow_version, current_phase,
                             phases_completed, status, state_data, metadata, external_id, created_at, updated_at,
                             parent_flow_id, parent_version)
select gen_random_uuid(), 'discovery', (flowstate_tests.ctx(1 + i % 20) ->> 'client_account_id')::uuid,
       (flowstate_tests.ctx(1 + i % 20) ->> 'engagement_id')::uuid, gen_random_uuid(), 1,
       (array['data_import', 'field_mapping', 'data_cleansing', 'asset_inventory', 'dependency_analysis'])[1 + i % 5],
       '{}', case when i % 50 = 0 then 'paused' else 'running' end, jsonb_build_object('i', i),
       jsonb_build_object('batch', i % 10), 'ext-' || i, now() - i * interval '1 minute', now() - i * interval '1 second',
       case when i % 100 = 0 then '00000000-0000-4000-d000-000000000001'::uuid end, case when i % 100 = 0 then 1 end
  from generate_series(1, 10000) i;
-- A quarantined document for every 499th flow (of every tenant): a few, as quarantine holds.
insert into flowstate.quarantine (flow_id, generation, flow_version, document, errors, client_account_id, engagement_id)
select f.flow_id, f.generation, 1, '{}', '{}', f.client_account_id, f.engagement_id
  from flowstate.flows f where (f.state_data ->> 'i')::int % 499 = 0;
set local session_replication_role = origin;
analyze flowstate.flows, flowstate.quarantine;

create function pg_temp.plan_of(p_filter jsonb, p_after text default null) returns text language plpgsql as $$
declare
  v_line text;
  v_plan text := '';
begin
  for v_line in execute 'explain (costs off) ' || flowstate._search_sql(p_filter, p_after, 50) loop
    v_plan := v_plan || v_line || E'\n';
  end loop;
  return v_plan;
end $$;
grant execute on function pg_temp.plan_of(jsonb, text) to flowstate_owner;
-- flow_search's own planner settings (its SET clauses), so this sees what it sees.
select count(set_config(split_part(c, '=', 1), split_part(c, '=', 2), true)) as applied
  from pg_proc p, unnest(p.proconfig) c
 where p.oid = 'flowstate.flow_search(jsonb, jsonb, text, integer)'::regprocedure and c not like 'search_path=%' \gset
select is(:applied::int, 2, 'flow_search runs with its own planner settings (seq and bitmap scans off)');

-- A tenant's searches, as the function's owner under that tenant's row-level security.
select flowstate._context(flowstate_tests.ctx(1)) as published \gset
set local role flowstate_owner;
select alike(pg_temp.plan_of('{}'), '%Index Scan Backward using flows_tenant_updated_idx%', 'a tenant''s first page walks its index backwards');
select unalike(pg_temp.plan_of('{}'), '%Sort%', 'in list order: nothing is sorted');
select unalike(pg_temp.plan_of(f), '%Seq Scan%', format('a tenant''s search by %s scans no table', f))
  from unnest(array['{"flow_type": "discovery"}', '{"phase": "field_mapping"}', '{"status": "paused"}',
                    '{"metadata": {"batch": 3}}', '{"created_after": "2020-01-01", "created_before": "2030-01-01"}',
                    '{"updated_after": "2020-01-01T00:00:00Z"}']::jsonb[]) f;
select alike(pg_temp.plan_of('{"status": "paused", "metadata": {"batch": 3}}'), '%Index Scan Backward using flows_tenant_updated_idx%',
             'filters on unindexed fields check rows along the tenant''s index');
select alike(pg_temp.plan_of('{"external_id": "ext-6"}'), '%Index Scan using flows_external_id_idx%',
             'an external id is looked up in its index');
select alike(pg_temp.plan_of('{"parent_flow_id": "00000000-0000-4000-d000-000000000001"}'), '%Index Scan%',
             'forks of a flow are found by index');
select alike(pg_temp.plan_of('{"quarantined": true}'), '%on quarantine q%Index Scan using flows_pkey on flows%',
             'quarantined flows (a few) come from the tenant''s quarantined documents, then by key, not from a walk of every flow');
select alike(pg_temp.plan_of('{"quarantined": false}'), '%Limit%Index Scan Backward using flows_tenant_updated_idx%SubPlan%Index%Scan using quarantine_pkey%',
             'each by the quarantine key, never a scan of the quarantine table');
select alike(pg_temp.plan_of('{}', flowstate._search_cursor(now() - interval '1 hour', gen_random_uuid())),
             '%Index Cond: (%updated_at, flow_id) < %', 'a later page starts in the index where the cursor points');
reset role;

-- An admin's searches across tenants.
select flowstate._context(null) as published \gset
set local role flowstate_owner;
select alike(pg_temp.plan_of('{}'), '%Index Scan Backward using flows_updated_at_idx%', 'an admin''s first page walks the all-flows index backwards');
select unalike(pg_temp.plan_of('{}'), '%Sort%', 'in list order: nothing is sorted');
select alike(pg_temp.plan_of('{"quarantined": true}'), '%Index Scan%on quarantine q%Index Scan using flows_pkey%',
             'an admin''s quarantined flows come from the quarantined documents, then by key');
select alike(pg_temp.plan_of('{"parent_flow_id": "00000000-0000-4000-d000-000000000001"}'), '%Index Scan Backward using flows_parent_idx%',
             'forks of a flow across tenants come from their own index');
select alike(pg_temp.plan_of(jsonb_build_object('client_account_id', flowstate_tests.ctx(2) ->> 'client_account_id',
                                                'engagement_id', flowstate_tests.ctx(2) ->> 'engagement_id')),
             '%Index Scan Backward using flows_tenant_updated_idx%', 'an admin''s search of one tenant walks that tenant''s index');
reset role;

select * from finish();
rollback;
