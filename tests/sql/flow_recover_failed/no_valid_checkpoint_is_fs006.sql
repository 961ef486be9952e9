-- When no checkpoint's snapshot validates any more (a DBA moved the flow type's initial
-- phase, so no old path starts right), recovery is FS006 with checkpoints_tried in DETAIL
-- counting every checkpoint, and nothing changes.
begin;
\ir ../_helpers.sql
select plan(4);

select flowstate_tests.make_flow(1) as flow_id \gset
select flowstate.flow_create_checkpoint(:'flow_id', null, null, flowstate_tests.ctx()) is not null as first \gset
select flowstate.flow_transition_phase(:'flow_id', 'field_mapping', null, flowstate_tests.ctx()) is not null as moved \gset
select flowstate.flow_create_checkpoint(:'flow_id', null, null, flowstate_tests.ctx()) is not null as second \gset
select flowstate.flow_transition_phase(:'flow_id', 'failed', null, flowstate_tests.ctx()) is not null as failed \gset
update flowstate.flow_types set initial_phase = 'field_mapping' where flow_type = 'discovery';
select flowstate.flow_load_state(:'flow_id', flowstate_tests.ctx()) as before \gset
select flowstate_tests.audit_count(:'flow_id') as audit_before \gset

select flowstate_tests.error_of(format($$ select flowstate.flow_recover_failed(%L, flowstate_tests.ctx()) $$, :'flow_id')) as outcome \gset
select is(:'outcome'::jsonb ->> 'sqlstate', 'FS006', 'no valid checkpoint is FS006');
select is(:'outcome'::jsonb -> 'detail' -> 'checkpoints_tried', '2'::jsonb, 'DETAIL says both checkpoints were tried');
select is(flowstate.flow_load_state(:'flow_id', flowstate_tests.ctx()), :'before'::jsonb, 'the flow is unchanged');
select is(flowstate_tests.audit_count(:'flow_id'), :audit_before::bigint, 'no audit row was written');

select * from finish();
rollback;
