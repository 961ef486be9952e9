-- flow_audit_retention (dropping old audit partitions) and flow_retention_run work side by
-- side: a compacted flow whose kept history is partly in an old partition keeps its current
-- version rebuildable after the partition is dropped, and retention runs after a partition
-- drop still compact and delete.
begin;
\ir ../_helpers.sql
\ir ../_lifecycle.sql
select plan(6);

create table flowstate.audit_log_y2020m01 partition of flowstate.audit_log for values from ('2020-01-01') to ('2020-02-01');
alter table flowstate.audit_log_y2020m01 owner to flowstate_owner;
select flowstate_tests.make_flow_at('completed') as compacted, flowstate_tests.make_flow_at('failed') as deleted \gset
-- The first versions of both are old: in January 2020.
select flowstate_tests.backdate_audit(:'compacted', 3, '2020-01-15'), flowstate_tests.backdate_audit(:'deleted', 1, '2020-01-15') \gset
select flowstate_tests.backdate_flow(:'compacted', now() - interval '40 days'), flowstate_tests.backdate_flow(:'deleted', now() - interval '40 days') \gset
insert into flowstate.retention_policies (flow_type, action, after) values (null, 'compact', '30 days');

set local role flowstate_admin;
select is(flowstate.flow_retention_run(10, false) -> 'compacted', '2', 'both finished flows are compacted');
select is(flowstate.flow_audit_retention('2020-02-01') -> 'partitions_dropped', '["audit_log_y2020m01"]', 'the old partition is dropped');
reset role;
select is(flowstate.flow_state_at(:'compacted', 7, flowstate_tests.ctx()) - 'updated_at',
          flowstate.flow_load_state(:'compacted', flowstate_tests.ctx()) - 'updated_at',
          'the compacted flow''s current version still rebuilds');

update flowstate.retention_policies set action = 'delete';
set local role flowstate_admin;
select is(flowstate.flow_retention_run(10, false) -> 'deleted', '2', 'retention still deletes after a partition drop');
select is(flowstate.flow_audit_retention('2020-02-01'), '{"partitions_dropped": [], "flows_rebased": 0}'::jsonb,
          'and partition retention still runs after it');
reset role;
select is((select count(*) from flowstate.audit_log where flow_id in (:'compacted', :'deleted')), 0::bigint, 'nothing of either flow is left');

select * from finish();
rollback;
