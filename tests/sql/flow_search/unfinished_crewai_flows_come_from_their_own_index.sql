-- One class's unfinished CrewAI flows (metadata crewai_class, crewai_finished false) are a few
-- among thousands of finished ones: a tenant's search for them walks the partial index of
-- unfinished flows (flows_crewai_unfinished_idx), not every flow of the tenant, and finds
-- exactly them, newest first; finished ones are found by the same metadata filter.
begin;
\ir ../_helpers.sql
\ir ../_lifecycle.sql
select plan(6);

-- 10,000 CrewAI flows of 2 tenants and 2 classes; every 500th unfinished.
set local session_replication_role = replica;
insert into flowstate.flows (flow_id, flow_type, client_account_id, engagement_id, user_id, flow_version, current_phase,
                             phases_completed, status, state_data, metadata, external_id, created_at, updated_at)
select gen_random_uuid(), 'crewai', (flowstate_tests.ctx(1 + i % 2) ->> 'client_account_id')::uuid,
       (flowstate_tests.ctx(1 + i % 2) ->> 'engagement_id')::uuid, gen_random_uuid(), 1, 'finish', '{}', 'running',
       jsonb_build_object('i', i),
       jsonb_build_object('crewai_class', case when i % 4 < 2 then 'Pipeline' else 'Review' end, 'crewai_finished', i % 500 <> 0),
       'run-' || i, now() - i * interval '1 minute', now() - i * interval '1 second'
  from generate_series(1, 10000) i;
set local session_replication_role = origin;
analyze flowstate.flows;

create function pg_temp.plan_of(p_filter jsonb) returns text language plpgsql as $$
declare
  v_line text;
  v_plan text := '';
begin
  for v_line in execute 'explain (costs off) ' || flowstate._search_sql(p_filter, null, 50) loop
    v_plan := v_plan || v_line || E'\n';
  end loop;
  return v_plan;
end $$;
grant execute on function pg_temp.plan_of(jsonb) to flowstate_owner;
select count(set_config(split_part(c, '=', 1), split_part(c, '=', 2), true)) as applied
  from pg_proc p, unnest(p.proconfig) c
 where p.oid = 'flowstate.flow_search(jsonb, jsonb, text, integer)'::regprocedure and c not like 'search_path=%' \gset

select flowstate._context(flowstate_tests.ctx(1)) as published \gset
set local role flowstate_owner;
select alike(pg_temp.plan_of('{"metadata": {"crewai_class": "Pipeline", "crewai_finished": false}}'),
             '%Index Scan Backward using flows_crewai_unfinished_idx%', 'one class''s unfinished flows walk the unfinished index');
select unalike(pg_temp.plan_of('{"metadata": {"crewai_finished": false}}'), '%Sort%', 'in list order: nothing is sorted');
select unalike(pg_temp.plan_of('{"metadata": {"crewai_class": "Pipeline", "crewai_finished": true}}'), '%Seq Scan%',
               'finished flows of a class scan no table');
reset role;

select flowstate.flow_search('{"metadata": {"crewai_class": "Pipeline", "crewai_finished": false}}', flowstate_tests.ctx(1)) as page \gset
select is((select array_agg((f ->> 'flow_id')::uuid order by n) from jsonb_array_elements(:'page'::jsonb -> 'flows') with ordinality x(f, n)),
          (select array_agg(flow_id order by updated_at desc, flow_id desc) from flowstate.flows
            where external_id in (select 'run-' || i from generate_series(500, 10000, 500) i)),
          'the search finds exactly the tenant''s 20 unfinished flows of the class, newest first');
select is(jsonb_array_length(flowstate.flow_search('{"metadata": {"crewai_class": "Review", "crewai_finished": false}}',
                                                   flowstate_tests.ctx(1)) -> 'flows'), 0, 'and none of another class');
select is(jsonb_array_length(flowstate.flow_search('{"metadata": {"crewai_class": "Pipeline", "crewai_finished": true}}',
                                                   flowstate_tests.ctx(1), p_limit => 1000) -> 'flows'), 1000,
          'finished flows are found by the same filter');

select * from finish();
rollback;
