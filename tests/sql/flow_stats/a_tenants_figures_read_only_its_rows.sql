-- A tenant's figures are read from its own flows' rows (through the tenant index on flows and
-- each table's flow_id index), however many rows other tenants have: no table is scanned whole.
begin;
\ir ../_helpers.sql
select plan(6);

select flowstate_tests.make_flow(p_versions => 3, p_tenant => 73) as mine \gset
select flowstate.flow_create_checkpoint(:'mine', null, null, flowstate_tests.ctx(73)) is not null as checkpointed \gset
-- 3,000 flows of other tenants, with their creation's audit rows.
select count(*) from (select flowstate_tests.make_flow(p_tenant => 74 + n % 50) from generate_series(1, 3000) n) made \gset
analyze flowstate.flows, flowstate.audit_log, flowstate.checkpoints, flowstate.quarantine;

select flowstate_tests.audit_count(:'mine') as audit_rows \gset
select * from flowstate_tests.reads_of('flowstate.flows') \gset flows_
select * from flowstate_tests.reads_of('flowstate.audit_log') \gset audit_
set local role flowstate_app;
select flowstate.flow_stats(flowstate_tests.ctx(73)) as stats \gset
reset role;
select is((:'stats'::jsonb ->> 'flows_total')::int, 1, 'the tenant''s flow');
select is((:'stats'::jsonb ->> 'audit_rows')::bigint, :audit_rows::bigint, 'its audit rows');
select flowstate_tests.reads_by_index_only('flowstate.flows', :flows_seq_scans, :flows_index_rows, 10, 'flows');
select flowstate_tests.reads_by_index_only('flowstate.audit_log', :audit_seq_scans, :audit_index_rows, 10, 'audit rows');

select * from finish();
rollback;
