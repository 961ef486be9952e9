-- An imported flow's phases and status are what it would have if it had run on PostgreSQL
-- through flow_record_step (the CrewAI backend's blind save), one step per legacy row:
-- checked on random method sequences (repeats, re-entered phases, a pause for feedback).
-- Methods named after the terminal phases (which the live path refuses as steps) are
-- checked on their own.
begin;
\ir ../_helpers.sql
select plan(5);

select setseed(0.42);
create temp table cases as
  select n, s.methods, random() < 0.2 + n * 0 as paused
    from generate_series(1, 150) n
    cross join lateral (select array(select (array['a', 'b', 'c', 'd'])[1 + floor(random() * 4)::int]
                                       from generate_series(1, 1 + floor(random() * 7)::int + n * 0)) as methods) s;

-- Replayed live, one flow_record_step per row, in order (the last one with the pause).
create function pg_temp.replay(p_methods text[], p_paused boolean) returns jsonb language plpgsql as $$
declare
  v_id uuid := gen_random_uuid();
begin
  for i in 1 .. cardinality(p_methods) loop
    perform flowstate.flow_record_step(v_id, p_methods[i], jsonb_build_object('i', i), p_methods[i], flowstate_tests.ctx(),
                                       p_feedback => case when p_paused and i = cardinality(p_methods) then '{"m": 1}'::jsonb end);
  end loop;
  return flowstate.flow_load_state(v_id, flowstate_tests.ctx());
end $$;

create temp table outcomes as
  select n, pg_temp.replay(methods, paused) as live,
         (flowstate.flow_import_legacy('case-' || n, array(select generate_series(1, cardinality(methods))::bigint),
            methods, array_fill('t'::text, array[cardinality(methods)]),
            array(select jsonb_build_object('i', i)::text from generate_series(1, cardinality(methods)) i),
            '{"fingerprint": "f"}', flowstate_tests.ctx(),
            p_pending => case when paused then '{"legacy_id": 1, "context_json": "{\"m\": 1}", "state_json": "{}", "created_at": "t"}'::jsonb end)
          ->> 'flow_id')::uuid as imported_id
    from cases;
-- A later statement: a stable function sees what earlier statements wrote.
alter table outcomes add column imported jsonb;
update outcomes set imported = flowstate.flow_load_state(imported_id, flowstate_tests.ctx());

select cmp_ok((select count(*) from cases where methods[cardinality(methods)] = any (methods[1:cardinality(methods) - 1])),
              '>', 20::bigint, 'the cases include flows that re-entered a phase');
select cmp_ok((select count(*) from cases where paused), '>', 20::bigint, 'and flows paused for feedback');
select is((select array_agg(n) from outcomes
            where (live -> 'current_phase', live -> 'phases_completed', live -> 'status', live -> 'state_data')
                  is distinct from (imported -> 'current_phase', imported -> 'phases_completed', imported -> 'status',
                                    imported -> 'state_data')),
          null::int[], 'every imported flow has the phases, status and state of its live replay');

select flowstate.flow_import_legacy('ends-failed', '{1,2,3,4}', '{a,b,a,failed}', '{t,t,t,t}', '{"{}","{}","{}","{}"}',
                                    '{"fingerprint": "f"}', flowstate_tests.ctx()) ->> 'flow_id' as failed_id \gset
select is((select row(current_phase, phases_completed, failed_phase, status)::text from flowstate.flows where flow_id = :'failed_id'),
          row('failed', array['a', 'b'], 'a', 'failed')::text,
          'a flow that ended in failed: the step before it failed, nothing more was completed');
select flowstate.flow_import_legacy('ends-completed', '{1,2,3}', '{a,failed,completed}', '{t,t,t}', '{"{}","{}","{}"}',
                                    '{"fingerprint": "f"}', flowstate_tests.ctx()) ->> 'flow_id' as completed_id \gset
select is((select row(current_phase, phases_completed, failed_phase, status)::text from flowstate.flows where flow_id = :'completed_id'),
          row('completed', array['a'], null, 'completed')::text,
          'a flow that ended in completed is completed; terminal names are never listed as completed phases');

select * from finish();
rollback;
