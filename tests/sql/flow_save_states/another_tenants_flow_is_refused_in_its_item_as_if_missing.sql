-- An item naming another tenant's flow is refused like an item naming a missing flow (FS004,
-- the same DETAIL), or FS005 when it would create it (flow ids are global); that flow is
-- unchanged.
begin;
\ir ../_helpers.sql
select plan(4);

select flowstate_tests.make_flow(p_tenant => 2) as theirs \gset
select gen_random_uuid() as missing \gset
select flowstate.flow_load_state(:'theirs', flowstate_tests.ctx(2)) as before \gset
set local role flowstate_app;
select flowstate.flow_save_states(jsonb_build_array(
  jsonb_build_object('flow_id', :'theirs', 'state', flowstate_tests.doc(:'theirs', p_state_data => '{"stolen": true}'), 'expected_version', 1),
  jsonb_build_object('flow_id', :'missing', 'state', flowstate_tests.doc(:'missing'), 'expected_version', 1),
  jsonb_build_object('flow_id', :'theirs', 'state', flowstate_tests.doc(:'theirs', p_state_data => '{"stolen": true}'))
), flowstate_tests.ctx(1)) as results \gset
reset role;

select is(array(select r ->> 'sqlstate' from jsonb_array_elements(:'results'::jsonb) r), array['FS004', 'FS004', 'FS005'],
          'saving another tenant''s flow is FS004 as for a missing one; creating it is FS005');
select is(jsonb_build_array((:'results'::jsonb -> 0 -> 'detail') - 'flow_id', replace(:'results'::jsonb -> 0 ->> 'message', :'theirs', 'ID')),
          jsonb_build_array((:'results'::jsonb -> 1 -> 'detail') - 'flow_id', replace(:'results'::jsonb -> 1 ->> 'message', :'missing', 'ID')),
          'with the same DETAIL and message as a missing flow''s');
select is(flowstate.flow_load_state(:'theirs', flowstate_tests.ctx(2)), :'before'::jsonb, 'the other tenant''s flow is unchanged');
select is(flowstate_tests.audit_count(:'theirs'), 1::bigint, 'no audit row was written');

select * from finish();
rollback;
