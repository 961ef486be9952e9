-- Bindings restrict only the roles they name. Another login, an admin with a NULL context,
-- and everyone once the bindings are gone act for any tenant, as before bindings existed;
-- with no binding at all the check is the constant true, folded away by the planner.
begin;
\ir ../_helpers.sql
select plan(6);

select is((select prosrc from pg_proc where oid = 'flowstate._tenant_allowed(jsonb)'::regprocedure), 'select true',
          'with no bindings, the check is a constant');
create role flowstate_test_agent login in role flowstate_app;
create role flowstate_test_other login in role flowstate_app;
insert into flowstate.role_tenants (role_name, client_account_id)
values ('flowstate_test_agent', (flowstate_tests.ctx(1) ->> 'client_account_id')::uuid);
select flowstate_tests.make_flow(p_tenant => 2) as theirs \gset

set local session authorization flowstate_test_other;
select is(flowstate.flow_load_state(:'theirs', flowstate_tests.ctx(2)) ->> 'flow_id', :'theirs', 'an unbound login reads any tenant''s flow');
select is(flowstate.flow_save_state(:'theirs', flowstate_tests.doc(:'theirs', p_state_data => '{"x": 1}'), 1, flowstate_tests.ctx(2)) ->> 'flow_version',
          '2', 'and writes it');
reset session authorization;
set local role flowstate_admin;
select is(flowstate.flow_load_state(:'theirs', null) ->> 'flow_id', :'theirs', 'an unbound admin acts across tenants');
reset role;

delete from flowstate.role_tenants where role_name = 'flowstate_test_agent';
select is((select prosrc from pg_proc where oid = 'flowstate._tenant_allowed(jsonb)'::regprocedure), 'select true',
          'without bindings again, the check is the constant again');
set local session authorization flowstate_test_agent;
select is(flowstate.flow_load_state(:'theirs', flowstate_tests.ctx(2)) ->> 'flow_id', :'theirs', 'and the formerly bound login acts for any tenant');
reset session authorization;

select * from finish();
rollback;
