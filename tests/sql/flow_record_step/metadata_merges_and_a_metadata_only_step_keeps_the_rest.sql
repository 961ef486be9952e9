-- p_metadata is merged into the stored metadata (the CrewAI backend's class and finished
-- flag); NULL p_phase and p_state_data keep the stored phase, state and status, as one new
-- version; p_metadata that is not an object is FS001 and changes nothing.
begin;
\ir ../_helpers.sql
select plan(8);

select gen_random_uuid() as id \gset
set local role flowstate_app;
select flowstate.flow_record_step(:'id', 'a', '{"n": 1}', 'a', flowstate_tests.ctx(),
                                  p_metadata => '{"crewai_class": "Pipeline", "crewai_finished": false}') is not null as ok \gset
select flowstate.flow_record_step(:'id', 'b', '{"n": 2}', 'b', flowstate_tests.ctx(),
                                  p_metadata => '{"team": "ops"}') is not null as ok \gset
select is((flowstate.flow_load_state(:'id', flowstate_tests.ctx()) -> 'metadata') - '{client_account_id,engagement_id,user_id}'::text[],
          '{"crewai_class": "Pipeline", "crewai_finished": false, "team": "ops"}'::jsonb, 'metadata of every step is merged');

select flowstate.flow_record_step(:'id', null, null, '_flow_finished', flowstate_tests.ctx(),
                                  p_metadata => '{"crewai_finished": true}') as marked \gset
select is(:'marked'::jsonb -> 'flow_version', '3'::jsonb, 'a metadata-only step is one new version');
select is((flowstate.flow_load_state(:'id', flowstate_tests.ctx())) - '{flow_version,updated_at,metadata}'::text[],
          (flowstate.flow_state_at(:'id', 2, flowstate_tests.ctx())) - '{flow_version,updated_at,metadata}'::text[],
          'that keeps the phase, completed phases, status and state');
select is(flowstate.flow_load_state(:'id', flowstate_tests.ctx()) -> 'metadata' -> 'crewai_finished', 'true'::jsonb,
          'and sets the metadata given');
select is((select label from flowstate.flow_history(:'id', flowstate_tests.ctx()) order by new_version desc limit 1),
          '_flow_finished', 'its label is in the history');

select flowstate.flow_load_state(:'id', flowstate_tests.ctx()) as before \gset
select throws_ok(format($$ select flowstate.flow_record_step(%L, 'c', '{}', 'c', flowstate_tests.ctx(), p_metadata => '[1]') $$, :'id'),
                 'FS001', null, 'metadata that is not an object is FS001');
select is(flowstate.flow_load_state(:'id', flowstate_tests.ctx()), :'before'::jsonb, 'and changes nothing');
select is(flowstate_tests.error_of(format($$ select flowstate.flow_record_step(%L, null, null, 'x', flowstate_tests.ctx()) $$,
                                          gen_random_uuid())) ->> 'sqlstate', 'FS001', 'a new flow needs a phase and a state');

select * from finish();
rollback;
