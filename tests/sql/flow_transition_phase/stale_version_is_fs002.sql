-- A transition with an expected version that is not the stored one is FS002 (DETAIL:
-- expected and actual), even when the move itself is legal; nothing changes.
begin;
\ir ../_helpers.sql
select plan(5);

select flowstate_tests.make_flow(p_versions => 2) as flow_id \gset
set local role flowstate_app;
select flowstate.flow_load_state(:'flow_id', flowstate_tests.ctx()) as before \gset

select flowstate_tests.outcome_of(format($$ select flowstate.flow_transition_phase(%L, 'field_mapping', 1, flowstate_tests.ctx()) $$,
                                       :'flow_id')) as e \gset
select is(:'e'::jsonb ->> 'sqlstate', 'FS002', 'a stale expected version is FS002');
select is(:'e'::jsonb -> 'detail', jsonb_build_object('flow_id', :'flow_id', 'expected', 1, 'actual', 2),
          'DETAIL names the flow, the expected and the actual version');
select throws_ok(format($$ select flowstate.flow_transition_phase(%L, 'field_mapping', 3, flowstate_tests.ctx()) $$, :'flow_id'),
                 'FS002', null, 'a version from the future is FS002 too');
select is(flowstate.flow_load_state(:'flow_id', flowstate_tests.ctx()), :'before'::jsonb, 'the stored flow is unchanged');
reset role;
select is(flowstate_tests.audit_count(:'flow_id'), 2::bigint, 'no audit row was written');

select * from finish();
rollback;
