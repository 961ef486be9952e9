begin;
\ir ../_helpers.sql
select plan(5);

select flowstate_tests.make_flow(p_versions => 2) as flow_id \gset
select flowstate.flow_load_state(:'flow_id', flowstate_tests.ctx()) as before \gset

set local role flowstate_app;
select throws_ok(
  format($$ select flowstate.flow_save_state(%L, flowstate_tests.doc(%L, p_state_data => '{"step": 99}'), 1,
                                             flowstate_tests.ctx()) $$, :'flow_id', :'flow_id'),
  'FS002', null, 'a stale expected version is refused with FS002');
select is(flowstate.flow_load_state(:'flow_id', flowstate_tests.ctx()), :'before'::jsonb,
  'the stored document is unchanged');
reset role;
select is(flowstate_tests.audit_count(:'flow_id'), 2::bigint, 'no audit row was written');

-- DETAIL is JSON with the expected and the actual version.
select is(flowstate_tests.error_of(format($$ select flowstate.flow_save_state(%L, flowstate_tests.doc(%L), 1, flowstate_tests.ctx()) $$,
                                          :'flow_id', :'flow_id')) -> 'detail',
          jsonb_build_object('flow_id', :'flow_id', 'expected', 1, 'actual', 2),
          'DETAIL names the flow, the expected and the actual version');
select is((flowstate.flow_save_state(:'flow_id', flowstate_tests.doc(:'flow_id'), 2, flowstate_tests.ctx()) ->> 'flow_version')::int,
          3, 'the current version succeeds and the version rises by one');

select * from finish();
rollback;
