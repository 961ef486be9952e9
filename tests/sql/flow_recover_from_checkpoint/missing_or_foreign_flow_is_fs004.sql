-- Recovery of a missing flow, or of another tenant's flow (even with that flow's own
-- checkpoint id), is FS004; a malformed context is FS001; nothing changes.
begin;
\ir ../_helpers.sql
select plan(6);

select flowstate_tests.make_flow(p_versions => 2) as flow_id \gset
select flowstate.flow_create_checkpoint(:'flow_id', null, null, flowstate_tests.ctx()) as checkpoint_id \gset
select flowstate.flow_save_state(:'flow_id', flowstate_tests.doc(:'flow_id', p_state_data => '{"later": 1}'), 2,
                                 flowstate_tests.ctx()) is not null as saved \gset
select flowstate.flow_load_state(:'flow_id', flowstate_tests.ctx()) as before \gset
select flowstate_tests.audit_count(:'flow_id') as audit_before \gset

select is(flowstate_tests.error_of(format($$ select flowstate.flow_recover_from_checkpoint(gen_random_uuid(), %L, null, flowstate_tests.ctx()) $$,
                                          :'checkpoint_id')) ->> 'sqlstate',
          'FS004', 'a missing flow is FS004');
select is(flowstate_tests.error_of(format($$ select flowstate.flow_recover_from_checkpoint(%L, %L, null, flowstate_tests.ctx(2)) $$,
                                          :'flow_id', :'checkpoint_id')),
          jsonb_build_object('sqlstate', 'FS004', 'detail', jsonb_build_object('flow_id', :'flow_id')),
          'another tenant''s flow is FS004, even with its real checkpoint id');
select is(flowstate_tests.error_of(format($$ select flowstate.flow_recover_from_checkpoint(%L, %L, 1, flowstate_tests.ctx(2)) $$,
                                          :'flow_id', :'checkpoint_id')) ->> 'sqlstate',
          'FS004', 'and with a stale version it is still FS004, not FS002');
select throws_ok(format($$ select flowstate.flow_recover_from_checkpoint(%L, %L, null, '{}') $$, :'flow_id', :'checkpoint_id'),
                 'FS001', null, 'a malformed context is FS001');
select is(flowstate.flow_load_state(:'flow_id', flowstate_tests.ctx()), :'before'::jsonb, 'the flow is unchanged');
select is(flowstate_tests.audit_count(:'flow_id'), :audit_before::bigint, 'no audit row was written');

select * from finish();
rollback;
