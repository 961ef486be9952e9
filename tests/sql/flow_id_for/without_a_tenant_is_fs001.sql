-- A string that is not a canonical UUID needs a tenant to be mapped: without a context, or
-- with one lacking client_account_id or engagement_id, it is FS001.
begin;
\ir ../_helpers.sql
select plan(4);

set local role flowstate_app;
select throws_ok($$ select flowstate.flow_id_for('run-1', null) $$, 'FS001', null, 'no context is FS001');
select throws_ok($$ select flowstate.flow_id_for('run-1', flowstate_tests.ctx() - 'engagement_id') $$, 'FS001', null,
                 'a context without engagement_id is FS001');
select throws_ok($$ select flowstate.flow_id_for('run-1', flowstate_tests.ctx() - 'client_account_id') $$, 'FS001', null,
                 'a context without client_account_id is FS001');
select is(flowstate_tests.error_of($$ select flowstate.flow_id_for('run-1', '[]') $$),
          '{"sqlstate": "FS001", "detail": {"errors": ["flow_id_for needs a context with client_account_id and engagement_id."]}}'::jsonb,
          'DETAIL says what is needed');
reset role;

select * from finish();
rollback;
