-- A plain step of an open-type flow (every CrewAI step) is written by flow_record_step itself,
-- not by _write_state. It writes what _write_state writes for the same document: twin flows,
-- one stepped by flow_record_step, the other by _write_state (as flow_record_step did before),
-- end with equal rows, audit rows, request ids and results, through re-entered and repeated
-- phases, metadata merges, request ids and a pause. Steps the quick tests cannot vouch for
-- (phases a DBA broke, a name over a lowered limit, a state nested too deep) are refused
-- exactly as the save path refuses them, and change nothing. The open type allows every
-- phase change _step_document derives from a non-terminal phase: checked over random
-- phase histories.
begin;
\ir ../_helpers.sql
select plan(10);
set local track_functions = 'all';

-- The save path's step, as flow_record_step made it before its own (run as the functions run).
create function flowstate_tests.saved_step(p_flow_id uuid, p_phase text, p_state_data jsonb, p_context jsonb,
                                           p_metadata jsonb default null, p_request_id uuid default null)
returns jsonb language plpgsql security definer set search_path = '' as $$
declare
  v_old flowstate.flows;
  v_published boolean := flowstate._context(p_context);
begin
  select * into v_old from flowstate.flows f where f.flow_id = p_flow_id for update;
  return flowstate._write_state(p_flow_id,
    flowstate._step_document(p_flow_id, v_old, p_phase, p_state_data, null, 'running', p_metadata),
    null, false, p_phase, p_context, 'put', null, p_request_id => p_request_id, p_request_function => 'flow_record_step');
end;
$$;
alter function flowstate_tests.saved_step(uuid, text, jsonb, jsonb, jsonb, uuid) owner to flowstate_owner;
grant execute on function flowstate_tests.saved_step(uuid, text, jsonb, jsonb, jsonb, uuid) to public;
create function pg_temp.refusal(p_outcome jsonb) returns jsonb language sql immutable as $$
  select jsonb_build_object('sqlstate', p_outcome ->> 'sqlstate', 'errors', p_outcome -> 'detail' -> 'errors')
$$;
create function pg_temp.write_state_calls() returns bigint language sql as $$
  select coalesce((select calls from pg_stat_xact_user_functions where schemaname = 'flowstate' and funcname = '_write_state'), 0)
$$;
create function pg_temp.unnamed(p_doc jsonb) returns jsonb language sql immutable as $$
  select p_doc - '{flow_id,created_at,updated_at}'::text[]
$$;
create function pg_temp.trail(p_flow_id uuid) returns text language sql as $$
  select string_agg(row(a.operation, a.old_version, a.new_version, a.old_phase, a.new_phase, a.actor_role, a.label,
                        a.changes, pg_temp.unnamed(a.snapshot))::text, ' | ' order by a.new_version)
    from flowstate.audit_log a where a.flow_id = p_flow_id
$$;
create function pg_temp.stored(p_flow_id uuid) returns jsonb language sql as $$
  select pg_temp.unnamed(flowstate._document(f, true)) || jsonb_build_object('failed_phase', f.failed_phase, 'last_label', f.last_label)
    from flowstate.flows f where f.flow_id = p_flow_id
$$;

select flowstate.flow_record_step(gen_random_uuid(), 'plan', '{"n": 0}', 'plan', flowstate_tests.ctx()) ->> 'flow_id' as fast,
       flowstate.flow_record_step(gen_random_uuid(), 'plan', '{"n": 0}', 'plan', flowstate_tests.ctx()) ->> 'flow_id' as saved \gset

create temporary table results (step int, fast jsonb, saved jsonb);
grant all on results to public;
set local role flowstate_app;
insert into results
select s.n,
       pg_temp.unnamed(flowstate.flow_record_step(:'fast', s.phase, s.state, s.phase, flowstate_tests.ctx(),
                                                  p_metadata => s.metadata, p_request_id => s.request_id)),
       null
  from (values (1, 'research', '{"n": 1}'::jsonb, null::jsonb, null::uuid),
               (2, 'plan', '{"n": 2, "deep": {"a": [1, 2]}}', '{"crewai_class": "F"}', '00000000-0000-4000-d000-000000000001'),
               (3, 'plan', '{"n": 3}', null, null),
               (4, 'write', '{"n": 4, "deep": {"a": [1]}}', '{"crewai_finished": false}', '00000000-0000-4000-d000-000000000002'),
               (5, 'review', '{}', null, null)) s(n, phase, state, metadata, request_id)
 order by s.n;
update results r
   set saved = pg_temp.unnamed(flowstate_tests.saved_step(:'saved', s.phase, s.state, flowstate_tests.ctx(), s.metadata, s.request_id))
  from (values (1, 'research', '{"n": 1}'::jsonb, null::jsonb, null::uuid),
               (2, 'plan', '{"n": 2, "deep": {"a": [1, 2]}}', '{"crewai_class": "F"}', '00000000-0000-4000-d000-000000000001'),
               (3, 'plan', '{"n": 3}', null, null),
               (4, 'write', '{"n": 4, "deep": {"a": [1]}}', '{"crewai_finished": false}', '00000000-0000-4000-d000-000000000002'),
               (5, 'review', '{}', null, null)) s(n, phase, state, metadata, request_id)
 where r.step = s.n;
reset role;

select is_empty($$ select * from results where fast is distinct from saved $$, 'each step returns what the save path returns');
select is(pg_temp.stored(:'fast'), pg_temp.stored(:'saved'), 'the flows end equal');
select is(pg_temp.trail(:'fast'), pg_temp.trail(:'saved'), 'and so do their audit trails');
select is((select array_agg(row(r.request_id, r.operation, pg_temp.unnamed(r.result))::text order by r.request_id)
             from flowstate.request_ids r where r.flow_id = :'fast'),
          (select array_agg(row(r.request_id, r.operation, pg_temp.unnamed(r.result))::text order by r.request_id)
             from flowstate.request_ids r where r.flow_id = :'saved'),
          'and their remembered request ids');
select pg_temp.write_state_calls() as calls_before \gset
select is((flowstate.flow_record_step(:'fast', 'pause', '{"n": 6}', 'pause', flowstate_tests.ctx(),
                                      p_feedback => '{"question": "ok?"}') ->> 'status'),
          'paused', 'a step with feedback pauses');
select is(pg_temp.write_state_calls(), :'calls_before'::bigint, 'written by flow_record_step itself');

-- Refusals: each as the save path makes it, changing nothing.
update flowstate.flows set phases_completed = '{plan,plan,research}' where flow_id in (:'fast', :'saved');
select flowstate_tests.row_of(:'fast') as fast_before, flowstate_tests.row_of(:'saved') as saved_before \gset
select is(array[pg_temp.refusal(flowstate_tests.outcome_of(format($$ select flowstate.flow_record_step(%L, 'next', '{}', 'next', %L) $$,
                                                  :'fast', flowstate_tests.ctx()))),
                pg_temp.refusal(flowstate_tests.outcome_of(format($$ select flowstate.flow_record_step(%L, 'next', '{"d": %s}', 'next', %L) $$,
                                                  :'fast', flowstate_tests.nested(70), flowstate_tests.ctx())))],
          array[pg_temp.refusal(flowstate_tests.outcome_of(format($$ select flowstate_tests.saved_step(%L, 'next', '{}', %L) $$,
                                                  :'saved', flowstate_tests.ctx()))),
                pg_temp.refusal(flowstate_tests.outcome_of(format($$ select flowstate_tests.saved_step(%L, 'next', '{"d": %s}', %L) $$,
                                                  :'saved', flowstate_tests.nested(70), flowstate_tests.ctx())))],
          'phases a DBA broke and a state nested too deep are refused as the save path refuses them');
update flowstate.settings set value = '3' where name = 'max_name_bytes';
select is(pg_temp.refusal(flowstate_tests.outcome_of(format($$ select flowstate.flow_record_step(%L, 'rev', '{}', 'rev', %L) $$,
                                                            :'fast', flowstate_tests.ctx()))),
          pg_temp.refusal(flowstate_tests.outcome_of(format($$ select flowstate_tests.saved_step(%L, 'rev', '{}', %L) $$,
                                                            :'saved', flowstate_tests.ctx()))),
          'as are stored phase names over a lowered limit');
select is(array[flowstate_tests.row_of(:'fast'), flowstate_tests.row_of(:'saved')],
          array[:'fast_before'::jsonb, :'saved_before'::jsonb], 'and nothing changed');

-- The open type allows what _step_document derives, from any phase but a terminal one.
select setseed(0.14);
select is_empty($$
  select h.current, h.completed, h.next
    from (select (array['a', 'b', 'c', 'd', 'e'])[1 + floor(random() * 5)::int] as current,
                 array(select distinct p from unnest(array['a', 'b', 'c', 'd', 'e']) p where random() < 0.4) as completed,
                 (array['a', 'b', 'c', 'd', 'e', 'f'])[1 + floor(random() * 6)::int] as next
            from generate_series(1, 500)) h
   where flowstate._phase_change_error('crewai', h.current, h.completed, h.next,
           (flowstate._phase_change(h.current, h.completed, null, h.next)).phases_completed) is not null $$,
  'every move of 500 random phase histories is allowed');

select * from finish();
rollback;
