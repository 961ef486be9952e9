-- By default each item is saved on its own: the result lists every item in order, saved
-- ({flow_id, ok: true, document}) or refused ({flow_id, ok: false, sqlstate, message,
-- detail}, as flow_save_state would raise it); a refused item changes nothing and does not
-- stop the items after it.
begin;
\ir ../_helpers.sql
select plan(11);

select flowstate_tests.make_flow() as existing \gset
select gen_random_uuid() as created \gset
select gen_random_uuid() as invalid \gset
set local role flowstate_app;
select flowstate.flow_save_states(jsonb_build_array(
  jsonb_build_object('flow_id', :'created', 'state', flowstate_tests.doc(:'created')),
  jsonb_build_object('flow_id', :'invalid', 'state', flowstate_tests.doc(:'invalid', 'no_such_phase'), 'expected_version', null),
  jsonb_build_object('flow_id', :'existing', 'state', flowstate_tests.doc(:'existing'), 'expected_version', 99),
  jsonb_build_object('flow_id', :'existing', 'state', flowstate_tests.doc(:'existing', 'asset_inventory', '{data_import}'),
                     'expected_version', 1),
  jsonb_build_object('flow_id', :'existing', 'state', flowstate_tests.doc(:'existing', p_state_data => '{"step": 2}'),
                     'expected_version', 1)
), flowstate_tests.ctx()) as results \gset
reset role;

select is(jsonb_array_length(:'results'::jsonb), 5, 'one result per item');
select is(array(select r ->> 'flow_id' from jsonb_array_elements(:'results'::jsonb) r),
          array[:'created', :'invalid', :'existing', :'existing', :'existing'],
          'in the order of the items, each naming its flow_id as given');
select is(array(select (r ->> 'ok')::boolean from jsonb_array_elements(:'results'::jsonb) r),
          array[true, false, false, false, true], 'the valid items are saved, the others refused');
select is(array(select r ->> 'sqlstate' from jsonb_array_elements(:'results'::jsonb) r),
          array[null, 'FS001', 'FS002', 'FS003', null],
          'each refusal has the SQLSTATE of its cause: invalid, stale, illegal phase change');
select is(:'results'::jsonb -> 2 -> 'detail', jsonb_build_object('flow_id', :'existing', 'expected', 99, 'actual', 1),
          'a refusal''s detail is the JSON DETAIL flow_save_state raises');
select is(:'results'::jsonb -> 1 -> 'detail' -> 'errors', to_jsonb(flowstate.flow_validate_state(flowstate_tests.doc(:'invalid', 'no_such_phase'))),
          'an invalid item lists every error of its document');
select is(:'results'::jsonb -> 0 -> 'document', flowstate.flow_load_state(:'created', flowstate_tests.ctx()) - 'state_data',
          'a created item''s document is the stored one without state_data');
select is(:'results'::jsonb -> 4 -> 'document', flowstate.flow_load_state(:'existing', flowstate_tests.ctx()) - 'state_data',
          'so is a saved item''s, at the next version');
select is(flowstate.flow_load_state(:'existing', flowstate_tests.ctx()) -> 'state_data', '{"step": 2}'::jsonb,
          'the saved item''s state is stored');
select is(flowstate.flow_load_state(:'invalid', flowstate_tests.ctx()), null::jsonb, 'the refused creation left no flow');
select is(array(select operation::text from flowstate.audit_log where flow_id in (:'existing', :'invalid') order by audit_id),
          array['create', 'save'], 'the refused items wrote no audit row; the saved one wrote one');

select * from finish();
rollback;
