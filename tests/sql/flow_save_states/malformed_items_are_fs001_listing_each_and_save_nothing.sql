-- p_items is checked whole before anything is saved: an item that is not an object, a flow_id
-- that is not a UUID string, an expected_version that is not an integer of at least 1 (a
-- string "1", 1.5, 0, past bigint), a request_id that is not a UUID string, unknown keys (a
-- typo such as "version" would otherwise create), a put that is not a boolean, a label that is
-- not a string, a put with an expected_version and a label on a save are FS001, DETAIL listing
-- each by its index, and no item is saved, atomic or not.
begin;
\ir ../_helpers.sql
select plan(5);

select gen_random_uuid() as good \gset
select flowstate_tests.make_flow() as existing \gset
select jsonb_build_array(
  jsonb_build_object('flow_id', :'good', 'state', flowstate_tests.doc(:'good')),
  'x'::text,
  jsonb_build_object('flow_id', 'nope', 'state', '{}'::jsonb),
  jsonb_build_object('flow_id', :'existing', 'state', flowstate_tests.doc(:'existing'), 'expected_version', '1'),
  jsonb_build_object('flow_id', :'existing', 'state', flowstate_tests.doc(:'existing'), 'expected_version', 1.5),
  jsonb_build_object('flow_id', :'existing', 'state', flowstate_tests.doc(:'existing'), 'expected_version', 0),
  jsonb_build_object('flow_id', :'existing', 'state', flowstate_tests.doc(:'existing'), 'expected_version', 9223372036854775808),
  jsonb_build_object('flow_id', :'existing', 'state', flowstate_tests.doc(:'existing'), 'version', 1),
  jsonb_build_object('flow_id', 5, 'state', '{}'::jsonb),
  jsonb_build_object('flow_id', :'existing', 'state', flowstate_tests.doc(:'existing'), 'expected_version', 1, 'request_id', 'nope'),
  jsonb_build_object('flow_id', :'existing', 'state', flowstate_tests.doc(:'existing'), 'expected_version', 1, 'request_id', 7),
  jsonb_build_object('flow_id', :'existing', 'state', flowstate_tests.doc(:'existing'), 'put', 'yes'),
  jsonb_build_object('flow_id', :'existing', 'state', flowstate_tests.doc(:'existing'), 'put', true, 'label', 5),
  jsonb_build_object('flow_id', :'existing', 'state', flowstate_tests.doc(:'existing'), 'put', true, 'expected_version', 1),
  jsonb_build_object('flow_id', :'existing', 'state', flowstate_tests.doc(:'existing'), 'expected_version', 1, 'label', 'x')) as items \gset
select flowstate_tests.audit_count(:'existing') as audit_before \gset
set local role flowstate_app;

select flowstate_tests.outcome_of(format($$ select flowstate.flow_save_states(%L, flowstate_tests.ctx()) $$, :'items')) as e \gset
select is(:'e'::jsonb ->> 'sqlstate', 'FS001', 'malformed items are FS001');
select is(array(select left(x, strpos(x, ' ') - 1) from jsonb_array_elements_text(:'e'::jsonb -> 'detail' -> 'errors') x),
          '{p_items[1],p_items[2].flow_id,p_items[3].expected_version,p_items[4].expected_version,p_items[5].expected_version,p_items[6].expected_version,p_items[7],p_items[8].flow_id,p_items[9].request_id,p_items[10].request_id,p_items[11].put,p_items[12].label,p_items[13],p_items[14]}',
          'DETAIL lists every bad item by index, in order');
select throws_ok(format($$ select flowstate.flow_save_states(%L, flowstate_tests.ctx(), true) $$, :'items'),
                 'FS001', null, 'also with p_atomic');
select is(flowstate.flow_load_state(:'good', flowstate_tests.ctx()), null, 'the good item was not saved');
reset role;
select is(flowstate_tests.audit_count(:'existing'), :'audit_before'::bigint, 'and the existing flow was not touched');

select * from finish();
rollback;
