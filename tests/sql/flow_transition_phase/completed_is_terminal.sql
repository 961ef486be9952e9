-- A completed flow cannot move anywhere, not even to failed (FS003, DETAIL.allowed empty).
begin;
\ir ../_helpers.sql
select plan(5);

select flowstate_tests.make_flow_at('completed') as flow_id \gset
set local role flowstate_app;
select flowstate.flow_load_state(:'flow_id', flowstate_tests.ctx()) as before \gset

select flowstate_tests.outcome_of(format($$ select flowstate.flow_transition_phase(%L, 'failed', 7, flowstate_tests.ctx()) $$,
                                       :'flow_id')) as e \gset
select is(:'e'::jsonb ->> 'sqlstate', 'FS003', 'completed -> failed is FS003');
select is(:'e'::jsonb -> 'detail' -> 'allowed', '[]'::jsonb, 'nothing is allowed after completed');
select throws_ok(format($$ select flowstate.flow_transition_phase(%L, 'data_import', 7, flowstate_tests.ctx()) $$, :'flow_id'),
                 'FS003', null, 'completed -> data_import is FS003');
select is(flowstate.flow_load_state(:'flow_id', flowstate_tests.ctx()), :'before'::jsonb, 'the stored flow is unchanged');
reset role;
select is(flowstate_tests.audit_count(:'flow_id'), 7::bigint, 'no audit row was written');

select * from finish();
rollback;
