-- phases_completed grows only by moving on from the current phase. In an open type
-- (crewai), listing the current phase as completed while staying in it is an illegal
-- phase change (FS003); in a closed type the document itself is inconsistent (current_phase
-- listed in phases_completed, a document rule: FS001). Nothing changes either way.
begin;
\ir ../_helpers.sql
select plan(7);

select gen_random_uuid() as crew_id \gset
select flowstate_tests.make_flow_at('field_mapping') as disc_id \gset
set local role flowstate_app;
select flowstate.flow_save_state(:'crew_id', jsonb_build_object('flow_id', :'crew_id', 'flow_type', 'crewai',
                                 'current_phase', 'research', 'phases_completed', '["plan"]'::jsonb, 'state_data', '{}'::jsonb),
                                 null, flowstate_tests.ctx()) is not null as created \gset
select flowstate.flow_load_state(:'crew_id', flowstate_tests.ctx()) as crew_before \gset
select flowstate.flow_load_state(:'disc_id', flowstate_tests.ctx()) as disc_before \gset

select flowstate_tests.outcome_of(format($$ select flowstate.flow_save_state(%L, %L, 1, flowstate_tests.ctx()) $$, :'crew_id',
                                       jsonb_build_object('flow_id', :'crew_id', 'flow_type', 'crewai', 'current_phase', 'research',
                                                          'phases_completed', '["plan", "research"]'::jsonb,
                                                          'state_data', '{}'::jsonb))) as e \gset
select is(:'e'::jsonb ->> 'sqlstate', 'FS003', 'crewai: completing research while staying in it is FS003');
select is((:'e'::jsonb -> 'detail') - '{flow_id,reason}'::text[],
          '{"from_phase": "research", "to_phase": "research", "allowed": null}'::jsonb,
          'DETAIL: from and to are the same phase; an open type allows any next phase (null)');
select is(flowstate.flow_load_state(:'crew_id', flowstate_tests.ctx()), :'crew_before'::jsonb, 'the crewai flow is unchanged');

select throws_ok(
  format($$ select flowstate.flow_save_state(%L, %L, 2, flowstate_tests.ctx()) $$, :'disc_id',
         flowstate_tests.doc(:'disc_id', 'field_mapping', '{data_import,field_mapping}')),
  'FS001', null, 'discovery: field_mapping listed as completed while current is FS001');
select is(flowstate.flow_load_state(:'disc_id', flowstate_tests.ctx()), :'disc_before'::jsonb, 'the discovery flow is unchanged');
reset role;
select is(flowstate_tests.audit_count(:'crew_id'), 1::bigint, 'no audit row for the crewai flow');
select is(flowstate_tests.audit_count(:'disc_id'), 2::bigint, 'no audit row for the discovery flow');

select * from finish();
rollback;
