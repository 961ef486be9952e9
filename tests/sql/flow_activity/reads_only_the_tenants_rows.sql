-- A tenant's activity reads that tenant's tally rows and quarantined documents through their
-- tenant indexes (and the flows of those documents by key), however many other tenants wrote in the same hours or have documents in
-- quarantine: the overview's cost does not grow with the tenants.
begin;
\ir ../_helpers.sql
select plan(7);

select flowstate_tests.make_flow(p_tenant => 84) as a \gset
select flowstate.flow_handle_corrupted(:'a', flowstate_tests.ctx(84)) is not null as quarantined \gset
-- 2,000 other tenants writing in each of the last 24 hours, in 4 slots, 5,000 quarantined
-- documents of other tenants' flows, and 3,000 flows of other tenants.
insert into flowstate.activity_tallies
select gen_random_uuid(), gen_random_uuid(), date_trunc('hour', now()) - h * interval '1 hour', s, 1
  from generate_series(1, 2000) t, generate_series(0, 23) h, generate_series(0, 3) s;
insert into flowstate.quarantine (flow_id, generation, flow_version, document, errors, client_account_id, engagement_id)
select gen_random_uuid(), 1, 1, '{}', '{}', gen_random_uuid(), gen_random_uuid() from generate_series(1, 5000);
select count(*) from (select flowstate_tests.make_flow(p_tenant => 85 + n % 50) from generate_series(1, 3000) n) made \gset
analyze flowstate.activity_tallies, flowstate.quarantine, flowstate.flows;

select * from flowstate_tests.reads_of('flowstate.activity_tallies') \gset tallies_
select * from flowstate_tests.reads_of('flowstate.quarantine') \gset quarantine_
select * from flowstate_tests.reads_of('flowstate.flows') \gset flows_
set local role flowstate_app;
select flowstate.flow_activity(flowstate_tests.ctx(84)) as activity \gset
reset role;
select is((select sum((b ->> 'writes')::bigint) from jsonb_array_elements(:'activity'::jsonb -> 'buckets') b),
          2::numeric, 'the tenant''s writes: the creation and the reset');
select is((:'activity'::jsonb -> 'quarantined' ->> 'documents')::int, 1, 'the tenant''s quarantined document');
select flowstate_tests.reads_by_index_only('flowstate.activity_tallies', :tallies_seq_scans, :tallies_index_rows, 100, 'tallies');
select flowstate_tests.reads_by_index_only('flowstate.quarantine', :quarantine_seq_scans, :quarantine_index_rows, 1,
                                           'quarantined documents');

select is((select seq_scans from flowstate_tests.reads_of('flowstate.flows')) - :flows_seq_scans, 0::bigint,
          'no scan of every tenant''s flows');

select * from finish();
rollback;
