-- Retention runs are for admins only (FS001 for the application); p_limit must be within
-- 1..100000 and p_dry_run given (FS001, every problem listed); refused runs change nothing.
begin;
\ir ../_helpers.sql
\ir ../_lifecycle.sql
select plan(4);

select flowstate_tests.make_flow_at('completed') as flow_id \gset
select flowstate_tests.backdate_flow(:'flow_id', now() - interval '60 days') \gset
insert into flowstate.retention_policies (flow_type, action, after) values (null, 'delete', '1 day');

set local role flowstate_app;
select is(flowstate_tests.error_of($$ select flowstate.flow_retention_run(10, false) $$) ->> 'sqlstate', 'FS001', 'the application may not run retention');
reset role;
set local role flowstate_admin;
select is(flowstate_tests.error_of($$ select flowstate.flow_retention_run(0, null) $$) #> '{detail,errors}',
          '["p_limit must be between 1 and 100000, not 0.", "p_dry_run must be true or false."]', 'bad arguments, every one listed');
select throws_ok($$ update flowstate.erasures set reason = 'x' $$, '42501', null, 'a DBA edits policies, never tombstones');
reset role;
select is((select count(*) from flowstate.flows where flow_id = :'flow_id'), 1::bigint, 'nothing was deleted');

select * from finish();
rollback;
