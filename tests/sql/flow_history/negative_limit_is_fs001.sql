-- p_limit counts rows: 0 gives none, NULL all, and a negative one is FS001 (not PostgreSQL's
-- own LIMIT error, which no caller could tell from a bug).
begin;
\ir ../_helpers.sql
select plan(3);

select flowstate_tests.make_flow(p_versions => 2) as flow_id \gset
set local role flowstate_app;
select is((select count(*) from flowstate.flow_history(:'flow_id', flowstate_tests.ctx(), p_limit => 0)), 0::bigint, 'p_limit 0: no rows');
select is((select count(*) from flowstate.flow_history(:'flow_id', flowstate_tests.ctx(), p_limit => null)), 2::bigint, 'NULL: every row');
select throws_ok(format($$ select * from flowstate.flow_history(%L, flowstate_tests.ctx(), p_limit => -1) $$, :'flow_id'),
                 'FS001', null, 'a negative p_limit is FS001');

select * from finish();
rollback;
