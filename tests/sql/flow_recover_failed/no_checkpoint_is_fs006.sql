-- A flow without checkpoints cannot be recovered: FS006 with checkpoints_tried 0 in DETAIL,
-- and nothing changes.
begin;
\ir ../_helpers.sql
select plan(4);

select flowstate_tests.make_flow_at('failed') as flow_id \gset
select flowstate.flow_load_state(:'flow_id', flowstate_tests.ctx()) as before \gset
select flowstate_tests.audit_count(:'flow_id') as audit_before \gset

select flowstate_tests.error_of(format($$ select flowstate.flow_recover_failed(%L, flowstate_tests.ctx()) $$, :'flow_id')) as outcome \gset
select is(:'outcome'::jsonb ->> 'sqlstate', 'FS006', 'no checkpoint is FS006');
select is(:'outcome'::jsonb -> 'detail' -> 'checkpoints_tried', '0'::jsonb, 'DETAIL says none were tried');
select is(flowstate.flow_load_state(:'flow_id', flowstate_tests.ctx()), :'before'::jsonb, 'the flow is unchanged');
select is(flowstate_tests.audit_count(:'flow_id'), :audit_before::bigint, 'no audit row was written');

select * from finish();
rollback;
