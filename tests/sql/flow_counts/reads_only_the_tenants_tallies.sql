-- A tenant's counts read that tenant's tally rows through the primary key, however many other
-- tenants there are: the cost of the inspector's overview does not grow with the tenants.
begin;
\ir ../_helpers.sql
select plan(3);

select flowstate_tests.make_flow(p_tenant => 83) as a \gset
-- 5,000 other tenants, 16 tally rows each (a slot per writing backend).
insert into flowstate.flow_tallies
select gen_random_uuid(), gen_random_uuid(), 'discovery', 'data_import', 'running', s, 1
  from generate_series(1, 5000) t, generate_series(0, 15) s;
analyze flowstate.flow_tallies;

select * from flowstate_tests.reads_of('flowstate.flow_tallies') \gset before_
set local role flowstate_app;
select results_eq(format($$ select * from flowstate.flow_counts(%L) $$, flowstate_tests.ctx(83)),
                  $$ values ('discovery'::text, 'data_import'::text, 'running'::text, 1::bigint) $$,
                  'the tenant''s count');
reset role;
select flowstate_tests.reads_by_index_only('flowstate.flow_tallies', :before_seq_scans, :before_index_rows, 16, 'tallies');

select * from finish();
rollback;
