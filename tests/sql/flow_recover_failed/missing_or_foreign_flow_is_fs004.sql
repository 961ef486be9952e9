-- flow_recover_failed on a missing flow or another tenant's (which has a valid checkpoint)
-- is FS004; a malformed context is FS001; nothing changes.
begin;
\ir ../_helpers.sql
select plan(5);

select flowstate_tests.make_flow(1) as flow_id \gset
select flowstate.flow_create_checkpoint(:'flow_id', null, null, flowstate_tests.ctx()) is not null as checkpointed \gset
select flowstate.flow_transition_phase(:'flow_id', 'failed', null, flowstate_tests.ctx()) is not null as failed \gset
select flowstate.flow_load_state(:'flow_id', flowstate_tests.ctx()) as before \gset
select flowstate_tests.audit_count(:'flow_id') as audit_before \gset

select throws_ok($$ select flowstate.flow_recover_failed(gen_random_uuid(), flowstate_tests.ctx()) $$, 'FS004', null,
                 'a missing flow is FS004');
select throws_ok(format($$ select flowstate.flow_recover_failed(%L, flowstate_tests.ctx(2)) $$, :'flow_id'), 'FS004', null,
                 'another tenant''s flow is FS004');
select throws_ok(format($$ select flowstate.flow_recover_failed(%L, '"ctx"') $$, :'flow_id'), 'FS001', null,
                 'a malformed context is FS001');
select is(flowstate.flow_load_state(:'flow_id', flowstate_tests.ctx()), :'before'::jsonb, 'the flow is unchanged');
select is(flowstate_tests.audit_count(:'flow_id'), :audit_before::bigint, 'no audit row was written');

select * from finish();
rollback;
