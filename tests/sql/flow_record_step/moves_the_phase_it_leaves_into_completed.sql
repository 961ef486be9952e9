-- A step makes its phase current and completes the phase it leaves, computed from the stored
-- state under the row lock, so a caller that knows nothing (CrewAI's save_state) always
-- passes the phase rules of an open type: repeated steps, re-entry and cycles included.
begin;
\ir ../_helpers.sql
select plan(7);

select gen_random_uuid() as id \gset
set local role flowstate_app;
select flowstate.flow_record_step(:'id', 'plan', '{"n": 1}', 'plan', flowstate_tests.ctx(), p_external_id => 'run-1') -> 'flow_version' as v1 \gset
select is(:'v1'::int, 1, 'the first step creates the flow at version 1');
select flowstate.flow_record_step(:'id', 'plan', '{"n": 2}', 'plan', flowstate_tests.ctx()) is not null as ok \gset
select flowstate.flow_record_step(:'id', 'act', '{"n": 3}', 'act', flowstate_tests.ctx()) is not null as ok \gset
select flowstate.flow_record_step(:'id', 'plan', '{"n": 4}', 'plan', flowstate_tests.ctx()) is not null as ok \gset
select flowstate.flow_record_step(:'id', 'act', '{"n": 5}', 'act', flowstate_tests.ctx()) is not null as ok \gset
select flowstate.flow_record_step(:'id', 'done', '{"n": 6}', 'done', flowstate_tests.ctx()) as last \gset
select flowstate.flow_load_state(:'id', flowstate_tests.ctx()) as doc \gset
select is(:'doc'::jsonb ->> 'flow_type', 'crewai', 'a new flow is of the open crewai type by default');
select is(:'doc'::jsonb ->> 'current_phase', 'done', 'the last step''s phase is current');
select is(array(select jsonb_array_elements_text(:'doc'::jsonb -> 'phases_completed')), '{plan,act}'::text[],
          'each phase left is completed once, in the order first left');
select is((:'doc'::jsonb -> 'flow_version')::int, 6, 'one version per step');
select is(:'doc'::jsonb -> 'state_data', '{"n": 6}'::jsonb, 'state_data is the last step''s');
reset role;
select is(array(select label from flowstate.audit_log where flow_id = :'id' order by audit_id),
          '{plan,plan,act,plan,act,done}'::text[], 'every step is audited with its label');

select * from finish();
rollback;
