-- p_version NULL forks the current version, p_new_flow_id NULL picks a new id; a fork of a
-- failed flow keeps its failed phase; a CrewAI flow's fork resumes by its new id like any.
begin;
\ir ../_helpers.sql
\ir ../_lifecycle.sql
select plan(5);

select flowstate_tests.make_flow(p_versions => 3) as parent, flowstate_tests.make_flow_at('failed') as failed \gset
select flowstate.flow_record_step(flowstate.flow_id_for('crew-1', flowstate_tests.ctx()), 'research', '{"notes": 1}', 'research',
                                  flowstate_tests.ctx(), p_external_id => 'crew-1', p_flow_type => 'crewai') ->> 'flow_id' as crew \gset

set local role flowstate_app;
select flowstate.flow_fork(:'parent', null, null, flowstate_tests.ctx()) as fork \gset
select flowstate.flow_fork(:'failed', null, null, flowstate_tests.ctx()) as failed_fork \gset
select flowstate.flow_fork(:'crew', 1, null, flowstate_tests.ctx()) ->> 'flow_id' as crew_fork \gset
select is(:'fork'::jsonb -> 'state_data', '{"step": 2}'::jsonb, 'NULL version: the current state');
select is(:'fork'::jsonb -> 'forked_from', jsonb_build_object('flow_id', :'parent', 'flow_version', 3), 'recorded as the current version');
select isnt(:'fork'::jsonb ->> 'flow_id', :'parent', 'NULL id: a new one');
select is(:'failed_fork'::jsonb - '{flow_id,created_at,updated_at,forked_from,checkpoints,state_data,flow_version}'::text[],
          flowstate.flow_load_state(:'failed', flowstate_tests.ctx()) - '{flow_id,created_at,updated_at,checkpoints,state_data,flow_version}'::text[],
          'a failed flow''s fork is failed in the same phase');
select is(flowstate.flow_record_step(flowstate.flow_id_for(:'crew_fork', flowstate_tests.ctx()), 'write', '{"draft": 1}', 'write',
                                     flowstate_tests.ctx()) - '{created_at,updated_at}'::text[],
          jsonb_build_object('flow_id', :'crew_fork', 'flow_type', 'crewai', 'flow_version', 2, 'current_phase', 'write',
                             'phases_completed', '["research"]'::jsonb, 'status', 'running', 'checkpoints', '[]'::jsonb,
                             'metadata', flowstate_tests.ctx(), 'forked_from', jsonb_build_object('flow_id', :'crew', 'flow_version', 1)),
          'a CrewAI step under the fork''s id (a canonical UUID, used as is) resumes the fork');
reset role;

select * from finish();
rollback;
