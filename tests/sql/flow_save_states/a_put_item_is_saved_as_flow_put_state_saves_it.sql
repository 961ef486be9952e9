-- An item with "put": true is saved as flow_put_state saves it: created, or replaced without a
-- version check, its label recorded; its request id is remembered under flow_put_state, so a
-- retried item returns its first result and changes nothing, and a refused put changes nothing
-- while the others are saved.
begin;
\ir ../_helpers.sql
select plan(7);

select flowstate_tests.make_flow(p_versions => 2) as existing \gset
select gen_random_uuid() as created, gen_random_uuid() as request_id \gset
select jsonb_build_array(
  jsonb_build_object('flow_id', :'existing', 'state', flowstate_tests.doc(:'existing', p_state_data => '{"n": 3}'),
                     'put', true, 'label', 'research', 'request_id', :'request_id'),
  jsonb_build_object('flow_id', :'created', 'state', flowstate_tests.doc(:'created'), 'put', true, 'label', 'kickoff'),
  jsonb_build_object('flow_id', :'existing', 'state', flowstate_tests.doc(:'existing', p_phase => 'no_such_phase'),
                     'put', true)) as items \gset
set local role flowstate_app;
select flowstate.flow_save_states(:'items', flowstate_tests.ctx()) as results \gset
select flowstate.flow_save_states(jsonb_build_array(:'items'::jsonb -> 0), flowstate_tests.ctx()) as retried \gset
reset role;

select is(array(select coalesce(r -> 'document' ->> 'flow_version', r ->> 'sqlstate') from jsonb_array_elements(:'results'::jsonb) r),
          array['3', '1', 'FS001'], 'the put replaced version 2 without a version check, created the new flow and refused the invalid one');
select is(array(select label from flowstate.audit_log where flow_id = :'existing' and new_version = 3), array['research'],
          'the put''s label is recorded');
select is(array(select operation::text || ':' || label from flowstate.audit_log where flow_id = :'created'),
          array['create:kickoff'], 'a put that creates is audited as a create with its label');
select is((select operation from flowstate.request_ids where flow_id = :'existing' and request_id = :'request_id'),
          'flow_put_state', 'its request id is remembered under flow_put_state');
select is(:'retried'::jsonb -> 0 -> 'document', :'results'::jsonb -> 0 -> 'document', 'a retried put returns its first result');
select is(flowstate_tests.audit_count(:'existing'), 3::bigint, 'and changes nothing: one audit row for the put, none for the retry or the refusal');
select is((flowstate.flow_load_state(:'existing', flowstate_tests.ctx()) -> 'state_data'), '{"n": 3}'::jsonb,
          'the refused put left the saved state');

select * from finish();
rollback;
