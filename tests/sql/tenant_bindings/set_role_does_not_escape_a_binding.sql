-- A binding holds for the session user (the login) and for the role set by SET ROLE, each by
-- name. A bound login that SETs ROLE to its unbound group stays bound; an unbound session that
-- SETs ROLE to a bound role is held to that role's tenants; a bound admin cannot act across
-- tenants with a NULL context (FS001, as for the application role).
begin;
\ir ../_helpers.sql
select plan(6);

create role flowstate_test_agent login in role flowstate_app;
create role flowstate_test_dba login in role flowstate_admin;
insert into flowstate.role_tenants (role_name, client_account_id, engagement_id) values
  ('flowstate_test_agent', (flowstate_tests.ctx(1) ->> 'client_account_id')::uuid, (flowstate_tests.ctx(1) ->> 'engagement_id')::uuid),
  ('flowstate_test_dba', (flowstate_tests.ctx(1) ->> 'client_account_id')::uuid, null);
select flowstate_tests.make_flow(p_tenant => 2) as theirs \gset

set local session authorization flowstate_test_agent;
set local role flowstate_app;
select is(flowstate.flow_load_state(:'theirs', flowstate_tests.ctx(2)), null, 'a bound login as its group still reads nothing of another tenant');
select is(flowstate_tests.outcome_of(format($$ select flowstate.flow_save_state(%L, flowstate_tests.doc(%L), 1, flowstate_tests.ctx(2)) $$,
                                            :'theirs', :'theirs')) ->> 'sqlstate', 'FS004', 'nor writes it');
reset role;
reset session authorization;

-- The test's own session (a superuser, unbound) taking on the bound login's role.
set local role flowstate_test_agent;
select is(flowstate.flow_load_state(:'theirs', flowstate_tests.ctx(2)), null, 'an unbound session as a bound role is held to its tenants');
reset role;

set local session authorization flowstate_test_dba;
select is(flowstate_tests.outcome_of(format($$ select flowstate.flow_load_state(%L, null) $$, :'theirs')) ->> 'sqlstate', 'FS001',
          'a bound admin may not pass a NULL context');
select is(flowstate_tests.outcome_of($$ select count(*) from flowstate.flow_validate_all() $$) ->> 'sqlstate', 'FS001',
          'nor run the whole-database tools');
select is(flowstate.flow_load_state(:'theirs', flowstate_tests.ctx(2)), null, 'nor name another tenant');
reset session authorization;

select * from finish();
rollback;
