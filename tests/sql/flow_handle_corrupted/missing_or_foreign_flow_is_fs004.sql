-- flow_handle_corrupted on a missing flow or another tenant's flow is FS004 and archives
-- nothing; a malformed context is FS001.
begin;
\ir ../_helpers.sql
select plan(6);

select flowstate_tests.make_flow(p_versions => 2) as flow_id \gset
update flowstate.flows set current_phase = 'bogus' where flow_id = :'flow_id';
select flowstate.flow_load_state(:'flow_id', flowstate_tests.ctx()) as before \gset
select flowstate_tests.audit_count(:'flow_id') as audit_before \gset

select throws_ok($$ select flowstate.flow_handle_corrupted(gen_random_uuid(), flowstate_tests.ctx()) $$, 'FS004', null,
                 'a missing flow is FS004');
select throws_ok(format($$ select flowstate.flow_handle_corrupted(%L, flowstate_tests.ctx(2)) $$, :'flow_id'), 'FS004', null,
                 'another tenant''s flow is FS004');
select throws_ok(format($$ select flowstate.flow_handle_corrupted(%L, '{"client_account_id": null}') $$, :'flow_id'), 'FS001', null,
                 'a malformed context is FS001');
select is((select count(*) from flowstate.quarantine where flow_id = :'flow_id'), 0::bigint, 'nothing is quarantined');
select is(flowstate.flow_load_state(:'flow_id', flowstate_tests.ctx()), :'before'::jsonb, 'the flow is unchanged');
select is(flowstate_tests.audit_count(:'flow_id'), :audit_before::bigint, 'no audit row was written');

select * from finish();
rollback;
