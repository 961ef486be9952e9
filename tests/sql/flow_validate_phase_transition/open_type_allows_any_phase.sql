-- In the open crewai type any new phase is allowed (re-entering a completed one too),
-- except staying put and leaving completed or failed.
begin;
\ir ../_helpers.sql
select plan(7);

select jsonb_build_object('flow_id', gen_random_uuid(), 'flow_type', 'crewai', 'state_data', '{}'::jsonb,
                          'current_phase', 'research', 'phases_completed', '["kickoff"]'::jsonb) as crew \gset
set local role flowstate_app;

select is(flowstate.flow_validate_phase_transition(:'crew', 'anything at all 🚀'), true, 'any new phase name');
select is(flowstate.flow_validate_phase_transition(:'crew', 'kickoff'), true, 'a completed phase again');
select is(flowstate.flow_validate_phase_transition(:'crew', 'completed'), true, 'completed');
select is(flowstate.flow_validate_phase_transition(:'crew', 'failed'), true, 'failed');
select is(flowstate.flow_validate_phase_transition(:'crew', 'research'), false, 'not the current phase');
select is(flowstate.flow_validate_phase_transition(:'crew'::jsonb || '{"current_phase": "completed"}', 'kickoff'), false,
          'nothing after completed');
select is(flowstate.flow_validate_phase_transition(:'crew'::jsonb || '{"current_phase": "failed"}', 'kickoff'), false,
          'nothing after failed');

select * from finish();
rollback;
