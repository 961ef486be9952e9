-- A tenant's counts read that tenant's tally rows through the primary key, however many other
-- tenants there are: the cost of the inspector's overview does not grow with the tenants.
-- (pg_stat_xact_user_tables: this transaction's reads of flow_tallies.)
begin;
\ir ../_helpers.sql
select plan(3);

select flowstate_tests.make_flow(p_tenant => 83) as a \gset
-- 5,000 other tenants, 16 tally rows each (a slot per writing backend).
insert into flowstate.flow_tallies
select gen_random_uuid(), gen_random_uuid(), 'discovery', 'data_import', 'running', s, 1
  from generate_series(1, 5000) t, generate_series(0, 15) s;
analyze flowstate.flow_tallies;

create temp table reads_before as
  select seq_scan, seq_tup_read, idx_tup_fetch from pg_stat_xact_user_tables
   where relid = 'flowstate.flow_tallies'::regclass;
set local role flowstate_app;
select results_eq(format($$ select * from flowstate.flow_counts(%L) $$, flowstate_tests.ctx(83)),
                  $$ values ('discovery'::text, 'data_import'::text, 'running'::text, 1::bigint) $$,
                  'the tenant''s count');
reset role;
select is((select s.seq_scan - b.seq_scan from pg_stat_xact_user_tables s, reads_before b
            where s.relid = 'flowstate.flow_tallies'::regclass), 0::bigint,
          'no scan of every tenant''s tallies');
select cmp_ok((select s.idx_tup_fetch - b.idx_tup_fetch from pg_stat_xact_user_tables s, reads_before b
                where s.relid = 'flowstate.flow_tallies'::regclass), '<=', 16::bigint,
              'only the tenant''s rows are read');

select * from finish();
rollback;
