-- Handling a corrupted flow is audited as two rows: 'archive' at the corrupted version
-- (no state change) and 'reset' to the next version, both labelled with the quarantine id
-- and attributed to the context's user; the open crewai type resets to phase 'start'.
begin;
\ir ../_helpers.sql
select plan(4);

select flowstate_tests.make_flow(p_versions => 2) as flow_id \gset
update flowstate.flows set current_phase = 'bogus' where flow_id = :'flow_id';
select flowstate_tests.audit_count(:'flow_id') as audit_before \gset
select flowstate.flow_handle_corrupted(:'flow_id', flowstate_tests.ctx(1, 6)) ->> 'quarantine_id' as quarantine_id \gset

select is(flowstate_tests.audit_count(:'flow_id'), :audit_before + 2::bigint, 'two audit rows are written');
select results_eq(
  format($$ select operation::text, old_version, new_version, old_phase, new_phase, label, actor_user_id
              from flowstate.audit_log where flow_id = %L order by audit_id desc limit 2 $$, :'flow_id'),
  format($$ values ('reset', 3::bigint, 4::bigint, 'bogus', 'data_import', %L, %L::uuid),
                   ('archive', 3::bigint, 3::bigint, 'bogus', 'bogus', %L, %L::uuid) $$,
         :'quarantine_id', flowstate_tests.ctx(1, 6) ->> 'user_id', :'quarantine_id', flowstate_tests.ctx(1, 6) ->> 'user_id'),
  'archive at version 3, then reset from 3 to 4, both labelled with the quarantine id');

-- An open type has no initial phase: it starts again at 'start'.
select gen_random_uuid() as crew_id \gset
select flowstate.flow_put_state(:'crew_id', jsonb_build_object('flow_id', :'crew_id', 'flow_type', 'crewai', 'current_phase', 'analyse',
                                                              'phases_completed', '["fetch"]'::jsonb, 'state_data', '{"x": 1}'::jsonb),
                                'analyse', flowstate_tests.ctx()) is not null as created \gset
update flowstate.flows set phases_completed = '{fetch,fetch}' where flow_id = :'crew_id';
select is(flowstate.flow_handle_corrupted(:'crew_id', flowstate_tests.ctx()) -> 'document' ->> 'current_phase', 'start',
          'an open-type flow is reset to phase start');
select is(flowstate.flow_load_state(:'crew_id', flowstate_tests.ctx()) -> 'phases_completed', '[]'::jsonb,
          'with nothing completed');

select * from finish();
rollback;
