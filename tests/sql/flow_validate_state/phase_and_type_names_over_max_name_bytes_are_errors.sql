-- Phase and flow type names inside a document obey max_name_bytes like the phase arguments:
-- validation names the field and the limit (without echoing the long name), a save is FS001
-- and changes nothing, and a transition check to a long phase is false, even for open types.
begin;
\ir ../_helpers.sql
select plan(7);

update flowstate.settings set value = 20 where name = 'max_name_bytes';
select repeat('p', 21) as long \gset
select flowstate_tests.make_flow() as flow_id \gset
select gen_random_uuid() as open \gset
select flowstate.flow_record_step(:'open', 'a', '{}', 'a', flowstate_tests.ctx()) is not null as made \gset
select flowstate.flow_load_state(:'open', flowstate_tests.ctx()) as before \gset

select is(flowstate.flow_validate_state(flowstate_tests.doc(:'flow_id', :'long')),
          array['current_phase is 21 bytes long; the limit is 20 bytes (flowstate.settings max_name_bytes).'],
          'a long current_phase is named with the limit');
select is(flowstate.flow_validate_state(flowstate_tests.doc(:'flow_id', 'field_mapping', array['data_import', :'long']) || '{"flow_type": "crewai"}'),
          array['phases_completed[1] is 21 bytes long; the limit is 20 bytes (flowstate.settings max_name_bytes).'],
          'a long completed phase by its index');
select is(flowstate.flow_validate_state(flowstate_tests.doc(:'flow_id', 'failed') || jsonb_build_object('failed_phase', :'long')),
          array['failed_phase is 21 bytes long; the limit is 20 bytes (flowstate.settings max_name_bytes).'],
          'a long failed_phase');
select is(flowstate.flow_validate_state(flowstate_tests.doc(:'flow_id') || jsonb_build_object('flow_type', :'long')),
          array['flow_type is 21 bytes long; the limit is 20 bytes (flowstate.settings max_name_bytes).'],
          'a long flow_type');
select throws_ok(format($$ select flowstate.flow_save_state(%L, %L, 1, flowstate_tests.ctx()) $$, :'open',
                        flowstate_tests.doc(:'open', :'long', array['a']) || '{"flow_type": "crewai"}'),
                 'FS001', null, 'saving a long phase into an open flow is FS001');
select is(flowstate.flow_validate_phase_transition('{"flow_id": "00000000-0000-4000-8000-000000000001", "flow_type": "crewai", "current_phase": "a", "phases_completed": [], "state_data": {}}',
                                                   :'long'), false, 'an open type may not move to a long phase');
select is(flowstate.flow_load_state(:'open', flowstate_tests.ctx()), :'before'::jsonb, 'the refused save changed nothing');

select * from finish();
rollback;
