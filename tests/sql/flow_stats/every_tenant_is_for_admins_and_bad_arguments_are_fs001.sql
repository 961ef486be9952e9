-- flow_stats across tenants (a NULL context) is for admins: the application role gets FS001,
-- as it does for a malformed context or a negative p_top. It writes nothing either way.
begin;
\ir ../_helpers.sql
select plan(5);

select flowstate_tests.make_flow() as flow_id \gset

set local role flowstate_app;
select throws_ok($$ select flowstate.flow_stats(null) $$, 'FS001', null, 'a NULL context is FS001 for the application role');
select throws_ok($$ select flowstate.flow_stats('{"client_account_id": 1}') $$, 'FS001', null, 'so is a malformed context');
select throws_ok(format($$ select flowstate.flow_stats(%L, -1) $$, flowstate_tests.ctx()), 'FS001', null,
                 'and a negative p_top');
reset role;
set local role flowstate_admin;
select lives_ok($$ select flowstate.flow_stats(null) $$, 'a flowstate_admin member may count every tenant''s flows');
reset role;
select is(flowstate_tests.audit_count(:'flow_id'), 1::bigint, 'nothing was written');

select * from finish();
rollback;
