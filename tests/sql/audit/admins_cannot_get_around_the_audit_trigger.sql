-- The audit trigger trusts the settings only for writes made as flowstate_owner (the flow_*
-- functions). A DBA (a login in flowstate_admin) can neither become that role nor switch the
-- trigger off, write the audit trail, or add a trigger of their own; each attempt fails with
-- 42501 and leaves the flow and its trail as they were. (A session of a login of its own:
-- SET ROLE is checked against the session user, and the test runs as a superuser.)
begin;
\ir ../_helpers.sql
select plan(8);

select flowstate_tests.make_flow(p_versions => 2) as flow_id \gset
select flowstate_tests.row_of(:'flow_id') as row_before,
       (select md5(string_agg(a::text, ',' order by audit_id)) from flowstate.audit_log a where flow_id = :'flow_id') as audit_before \gset

create role flowstate_test_dba login in role flowstate_admin;
set local session authorization flowstate_test_dba;
select throws_ok($$ set role flowstate_owner $$, '42501', null, 'a DBA cannot SET ROLE flowstate_owner');
select throws_ok($$ set session_replication_role = replica $$, '42501', null,
                 'nor turn triggers off for the session');
select throws_ok($$ alter table flowstate.flows disable trigger flows_audit $$, '42501', null,
                 'nor disable the audit trigger');
select throws_ok($$ create trigger sneaky before update on flowstate.flows for each row execute function flowstate._audit_flow_change_as_owner() $$,
                 '42501', null, 'nor add a trigger of their own');
select throws_ok(format($$ insert into flowstate.audit_log (flow_id, operation, new_version, actor_role) values (%L, 'save', 9, 'x') $$, :'flow_id'),
                 '42501', null, 'nor write the audit trail');
select throws_ok(format($$ select set_config('role', 'flowstate_owner', true) $$), '42501', null,
                 'nor become the owner through set_config');
reset session authorization;

select is(flowstate_tests.row_of(:'flow_id'), :'row_before'::jsonb, 'the flow is unchanged');
select is((select md5(string_agg(a::text, ',' order by audit_id)) from flowstate.audit_log a where flow_id = :'flow_id'),
          :'audit_before', 'and so is its audit trail');

select * from finish();
rollback;
