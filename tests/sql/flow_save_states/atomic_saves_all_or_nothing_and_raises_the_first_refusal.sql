-- p_atomic => true: every item is saved, or none is and the first refusal is raised with its
-- SQLSTATE (here FS002, though an FS001 item follows it).
begin;
\ir ../_helpers.sql
select plan(6);

select flowstate_tests.make_flow() as existing \gset
select gen_random_uuid() as first \gset
select gen_random_uuid() as second \gset
select flowstate.flow_load_state(:'existing', flowstate_tests.ctx()) as before \gset
set local role flowstate_app;

select throws_ok(format($$ select flowstate.flow_save_states(%L, flowstate_tests.ctx(), p_atomic => true) $$, jsonb_build_array(
                   jsonb_build_object('flow_id', :'first', 'state', flowstate_tests.doc(:'first')),
                   jsonb_build_object('flow_id', :'existing', 'state', flowstate_tests.doc(:'existing'), 'expected_version', 7),
                   jsonb_build_object('flow_id', :'second', 'state', '{}'))),
                 'FS002', null, 'the first refusal (a stale version) is raised');
select is(flowstate.flow_load_state(:'first', flowstate_tests.ctx()), null::jsonb, 'the valid item before it was not saved');
select is(flowstate.flow_load_state(:'existing', flowstate_tests.ctx()), :'before'::jsonb, 'the stale item''s flow is unchanged');

select flowstate.flow_save_states(jsonb_build_array(
         jsonb_build_object('flow_id', :'first', 'state', flowstate_tests.doc(:'first')),
         jsonb_build_object('flow_id', :'existing', 'state', flowstate_tests.doc(:'existing'), 'expected_version', 1)),
       flowstate_tests.ctx(), p_atomic => true) as results \gset
select is(array(select (r ->> 'ok')::boolean from jsonb_array_elements(:'results'::jsonb) r), array[true, true],
          'when every item is valid, every item is saved');
select is(array(select (r -> 'document' ->> 'flow_version')::int from jsonb_array_elements(:'results'::jsonb) r), array[1, 2],
          'each result has its stored document');
reset role;
select is((select count(*) from flowstate.audit_log where flow_id in (:'existing', :'first', :'second')), 3::bigint,
          'the refused call wrote no audit row');

select * from finish();
rollback;
