-- The statements the hot functions run per call find their rows through an index, never by
-- a scan, so their cost does not grow with the number of flows (benchmarks/bench_scale.py
-- measures that; this holds the plans to it). A few thousand flows make a seq scan the
-- planner's choice if no index could serve.
begin;
\ir ../_helpers.sql
select plan(5);

set local session_replication_role = replica;  -- bulk rows without the audit trigger
insert into flowstate.flows (flow_id, flow_type, client_account_id, engagement_id, user_id, flow_version,
                             current_phase, phases_completed, status, state_data)
select gen_random_uuid(), 'discovery', gen_random_uuid(), gen_random_uuid(), gen_random_uuid(), 1,
       'data_import', '{}', 'running', jsonb_build_object('i', i)
  from generate_series(1, 5000) i;
insert into flowstate.audit_log (flow_id, generation, operation, new_version, actor_role, snapshot)
select flow_id, generation, 'create', 1, 'test', '{}'::jsonb from flowstate.flows;
set local session_replication_role = origin;
analyze flowstate.flows;
analyze flowstate.audit_log;

create function pg_temp.plan_of(p_sql text) returns text language plpgsql as $$
declare
  v_line text;
  v_plan text := '';
begin
  for v_line in execute 'explain (costs off) ' || p_sql loop
    v_plan := v_plan || v_line || E'\n';
  end loop;
  return v_plan;
end $$;

select flow_id as id from flowstate.flows limit 1 \gset
-- The audit rows sit in this month's partition; the other (empty) partitions cost nothing
-- however they are read, so the test looks at the table that holds rows.
select format('%%Seq Scan on audit_log_y%s %%', to_char(now() at time zone 'UTC', 'YYYY"m"MM')) as audit_scan \gset

select unalike(pg_temp.plan_of(format('select * from flowstate.flows where flow_id = %L for update', :'id')),
              '%Seq Scan%', 'a flow is found by its id (save, transition, load)');
select unalike(pg_temp.plan_of(format($$update flowstate.flows f set state_data = '{}' where f.flow_id = %L
                                      and f.flow_version = 1 and f.current_phase = 'data_import'$$, :'id')),
              '%Seq Scan%', 'the compare-and-set update of a save finds its row by id');
select unalike(pg_temp.plan_of(format($$select a.logged_at from flowstate.audit_log a where a.flow_id = %L
                                      and a.new_version = 1 and a.generation = 0 order by a.new_version desc, a.audit_id desc limit 1$$, :'id')),
              :'audit_scan', 'time travel finds a version''s audit row by index');
select unalike(pg_temp.plan_of(format($$select a.snapshot from flowstate.audit_log a where a.flow_id = %L
                                      and a.new_version <= 1 and a.snapshot is not null and a.generation = 0
                                      order by a.new_version desc, a.audit_id desc limit 1$$, :'id')),
              :'audit_scan', 'and the newest snapshot below it by index');
select unalike(pg_temp.plan_of(format($$select * from flowstate.audit_log a where a.flow_id = %L and a.generation = 0 order by a.audit_id$$, :'id')),
              :'audit_scan', 'history reads one flow''s rows by index');

select * from finish();
rollback;
