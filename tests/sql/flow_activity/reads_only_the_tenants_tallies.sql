-- A tenant's activity reads that tenant's tally rows through the primary key, however many
-- other tenants wrote in the same hours: the overview's cost does not grow with the tenants.
begin;
\ir ../_helpers.sql
select plan(3);

select flowstate_tests.make_flow(p_tenant => 84) as a \gset
-- 2,000 other tenants writing in each of the last 24 hours, in 4 slots.
insert into flowstate.activity_tallies
select gen_random_uuid(), gen_random_uuid(), date_trunc('hour', now()) - h * interval '1 hour', s, 1
  from generate_series(1, 2000) t, generate_series(0, 23) h, generate_series(0, 3) s;
analyze flowstate.activity_tallies;

select * from flowstate_tests.reads_of('flowstate.activity_tallies') \gset before_
set local role flowstate_app;
select is((select sum((b ->> 'writes')::bigint)
             from jsonb_array_elements(flowstate.flow_activity(flowstate_tests.ctx(84)) -> 'buckets') b), 1::numeric,
          'the tenant''s one write');
reset role;
select is((select seq_scans from flowstate_tests.reads_of('flowstate.activity_tallies')) - :before_seq_scans, 0::bigint,
          'no scan of every tenant''s tallies');
select cmp_ok((select index_rows from flowstate_tests.reads_of('flowstate.activity_tallies')) - :before_index_rows, '<=', 100::bigint,
              'only the tenant''s rows are read');

select * from finish();
rollback;
