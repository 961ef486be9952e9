-- The built-in crewai type is open: any phase names (hostile ones too), any order,
-- re-entering a completed phase; completed and failed stay terminal.
begin;
\ir ../_helpers.sql
select plan(12);

select gen_random_uuid() as flow_id \gset
select jsonb_build_object('flow_id', :'flow_id', 'flow_type', 'crewai', 'state_data', '{}'::jsonb) as crew \gset
set local role flowstate_app;

select is(flowstate.flow_validate_state(:'crew'::jsonb || jsonb_build_object(
            'current_phase', $p$Robert'); drop table flows; -- 🚀$p$, 'phases_completed', '["kickoff", "Ünïcödé step"]'::jsonb)),
          '{}'::text[], 'any phase names are valid');
select is(flowstate.flow_validate_state(:'crew'::jsonb || '{"current_phase": "a", "phases_completed": ["a", "b"]}'),
          '{}'::text[], 're-entering a completed phase is valid');

select flowstate.flow_save_state(:'flow_id', :'crew'::jsonb || '{"current_phase": "kickoff", "phases_completed": []}', null,
                                 flowstate_tests.ctx()) is not null as created \gset
select is(flowstate.flow_transition_phase(:'flow_id', 'research', 1, flowstate_tests.ctx()) -> 'phases_completed',
          '["kickoff"]'::jsonb, 'kickoff -> research');
select is(flowstate.flow_transition_phase(:'flow_id', 'kickoff', 2, flowstate_tests.ctx()) -> 'phases_completed',
          '["kickoff", "research"]'::jsonb, 'research -> kickoff re-enters a completed phase');
select is(flowstate.flow_save_state(:'flow_id', :'crew'::jsonb || '{"current_phase": "research", "phases_completed": ["kickoff", "research"]}',
                                    3, flowstate_tests.ctx()) ->> 'current_phase',
          'research', 'a save may re-enter one too');
select is(flowstate.flow_save_state(:'flow_id', :'crew'::jsonb || '{"current_phase": "write", "phases_completed": ["kickoff", "research"]}',
                                    4, flowstate_tests.ctx()) ->> 'current_phase',
          'write', 'and move on to a new phase');
select throws_ok(format($$ select flowstate.flow_save_state(%L, %L, 5, flowstate_tests.ctx()) $$, :'flow_id',
                        :'crew'::jsonb || '{"current_phase": "review", "phases_completed": ["kickoff", "research", "edit"]}'),
                 'FS003', null, 'a save must complete exactly the phase it leaves');
select is(flowstate.flow_transition_phase(:'flow_id', 'completed', 5, flowstate_tests.ctx()) ->> 'status',
          'completed', 'write -> completed completes the flow');
select throws_ok(format($$ select flowstate.flow_transition_phase(%L, 'kickoff', 6, flowstate_tests.ctx()) $$, :'flow_id'),
                 'FS003', null, 'completed is terminal in an open type too');

select gen_random_uuid() as other_id \gset
select flowstate.flow_save_state(:'other_id', :'crew'::jsonb || jsonb_build_object('flow_id', :'other_id', 'current_phase', 'step 1',
                                 'phases_completed', '[]'::jsonb), null, flowstate_tests.ctx()) is not null as created \gset
select is(flowstate.flow_transition_phase(:'other_id', 'failed', 1, flowstate_tests.ctx()) ->> 'failed_phase',
          'step 1', 'any phase may fail, recording failed_phase');
select throws_ok(format($$ select flowstate.flow_transition_phase(%L, 'step 2', 2, flowstate_tests.ctx()) $$, :'other_id'),
                 'FS003', null, 'failed is terminal in an open type too');
select is(flowstate.flow_load_state(:'other_id', flowstate_tests.ctx()) -> 'phases_completed', '[]'::jsonb,
          'the failed phase is not marked completed');

select * from finish();
rollback;
