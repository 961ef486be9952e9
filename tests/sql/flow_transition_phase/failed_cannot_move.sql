-- A failed flow leaves failed only through recovery or reset: any transition is FS003
-- (DETAIL.allowed empty), and nothing changes.
begin;
\ir ../_helpers.sql
select plan(6);

select flowstate_tests.make_flow_at('field_mapping') as flow_id \gset
set local role flowstate_app;
select flowstate.flow_transition_phase(:'flow_id', 'failed', 2, flowstate_tests.ctx()) is not null as failed \gset
select flowstate.flow_load_state(:'flow_id', flowstate_tests.ctx()) as before \gset

select flowstate_tests.outcome_of(format($$ select flowstate.flow_transition_phase(%L, 'field_mapping', 3, flowstate_tests.ctx()) $$,
                                       :'flow_id')) as e \gset
select is(:'e'::jsonb ->> 'sqlstate', 'FS003', 'failed -> the failed phase is FS003');
select is(:'e'::jsonb -> 'detail' -> 'allowed', '[]'::jsonb, 'nothing is allowed after failed');
select throws_ok(format($$ select flowstate.flow_transition_phase(%L, 'data_cleansing', 3, flowstate_tests.ctx()) $$, :'flow_id'),
                 'FS003', null, 'failed -> the next phase is FS003');
select throws_ok(format($$ select flowstate.flow_transition_phase(%L, 'completed', 3, flowstate_tests.ctx()) $$, :'flow_id'),
                 'FS003', null, 'failed -> completed is FS003');
select is(flowstate.flow_load_state(:'flow_id', flowstate_tests.ctx()), :'before'::jsonb, 'the stored flow is unchanged');
reset role;
select is(flowstate_tests.audit_count(:'flow_id'), 3::bigint, 'no audit row was written');

select * from finish();
rollback;
