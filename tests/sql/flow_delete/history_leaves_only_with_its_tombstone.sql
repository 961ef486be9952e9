-- Append-only stays append-only: the ways around flow_delete are all refused and change
-- nothing. Deleting history rows directly (audit trail, an audit partition, checkpoints,
-- quarantine, legacy rows) is refused to the superuser, the owning role and a DBA, with or
-- without forged settings; a forged old tombstone does not count (only one written by this
-- very transaction does); tombstones themselves cannot be deleted or truncated, nor updated
-- but for the counts their own transaction fills in;
-- the application and DBAs cannot call the erasure helpers or write a tombstone.
begin;
\ir ../_helpers.sql
\ir ../_lifecycle.sql
select plan(28);

select flowstate_tests.make_rich_flow('guarded-content') as flow_id, flowstate_tests.make_flow() as erased \gset
select flowstate.flow_delete(:'erased', 'earlier', flowstate_tests.ctx()) is not null as deleted \gset
select tableoid::regclass::text as current_partition from flowstate.audit_log where flow_id = :'flow_id' and logged_at > '2021-01-01' limit 1 \gset
create temporary table snapshot_before on commit drop as
  select t.table_name, t.matching_rows from flowstate_tests.traces(:'flow_id') t
  union all select 'erasures', count(*) from flowstate.erasures;
grant select on snapshot_before to public;
create function pg_temp.unchanged() returns boolean language sql as $$
  select not exists (select * from flowstate_tests.traces(current_setting('test.flow_id'))
                     union all select 'erasures', count(*) from flowstate.erasures
                     except select * from snapshot_before)
$$;
select set_config('test.flow_id', :'flow_id', true) is not null as noted \gset

-- As the superuser, even with every setting a function would publish.
set local flowstate.retention = 'on';
set local flowstate.operation = 'delete';
set local flowstate.erasing = 'on';
select throws_ok(format($$ delete from flowstate.audit_log where flow_id = %L $$, :'flow_id'), '42501', null,
                 'superuser: DELETE from audit_log is refused, forged settings or not');
select throws_ok(format($$ delete from %s where flow_id = %L $$, :'current_partition', :'flow_id'), '42501', null,
                 'superuser: DELETE from an audit partition directly');
select throws_ok(format($$ delete from flowstate.audit_log_y2020m01 where flow_id = %L $$, :'flow_id'), '42501', null,
                 'superuser: DELETE from an old audit partition');
select throws_ok(format($$ delete from flowstate.checkpoints where flow_id = %L $$, :'flow_id'), '42501', null,
                 'superuser: DELETE from checkpoints');
select throws_ok(format($$ delete from flowstate.quarantine where flow_id = %L $$, :'flow_id'), '42501', null,
                 'superuser: DELETE from quarantine');
select throws_ok(format($$ delete from flowstate.legacy_rows where flow_id = %L $$, :'flow_id'), '42501', null,
                 'superuser: DELETE from legacy_rows');
select throws_ok($$ truncate flowstate.legacy_rows $$, '42501', null, 'superuser: TRUNCATE of legacy_rows');

-- A tombstone that is not this transaction's does not count, whatever it claims.
set local session_replication_role = replica;
insert into flowstate.erasures (flow_id, action, erased_by_role, reason, row_counts, erased_tx)
values (:'flow_id', 'delete', 'forged', 'forged', '{}', '1');
set local session_replication_role = origin;
select throws_ok(format($$ delete from flowstate.audit_log where flow_id = %L $$, :'flow_id'), '42501', null,
                 'an old (forged) tombstone lets nothing go');
select throws_ok($$ update flowstate.erasures set row_counts = '{"audit_log": 0}' where reason = 'forged' $$, '42501', null,
                 'and an old tombstone is final: not even its counts change');
set local session_replication_role = replica;
delete from flowstate.erasures where reason = 'forged';
set local session_replication_role = origin;

-- As the owning role.
set local role flowstate_owner;
select throws_ok(format($$ delete from flowstate.audit_log where flow_id = %L $$, :'flow_id'), '42501', null,
                 'owner: DELETE from audit_log is refused');
select throws_ok(format($$ delete from flowstate.checkpoints where flow_id = %L $$, :'flow_id'), '42501', null,
                 'owner: DELETE from checkpoints');
select throws_ok(format($$ delete from flowstate.legacy_rows where flow_id = %L $$, :'flow_id'), '42501', null,
                 'owner: DELETE from legacy_rows');
select throws_ok(format($$ delete from flowstate.erasures where flow_id = %L $$, :'erased'), '42501', null,
                 'owner: DELETE of a tombstone');
select throws_ok(format($$ update flowstate.erasures set reason = 'x' where flow_id = %L $$, :'erased'), '42501', null,
                 'owner: UPDATE of a tombstone');
select throws_ok($$ truncate flowstate.erasures $$, '42501', null, 'owner: TRUNCATE of the erasure log');
select throws_ok(format($$ with t as (insert into flowstate.erasures (flow_id, action, erased_by_role, reason, row_counts, erased_tx)
                                      values (%L, 'delete', 'x', 'x', '{}', '1') returning erased_tx)
                           select case when (select erased_tx from t) = pg_current_xact_id() then 1/0 end $$, :'flow_id'),
                 '22012', null, 'owner: a tombstone''s transaction is the database''s, not the writer''s (division by zero proves it)');
reset role;

-- As a DBA.
set local role flowstate_admin;
select throws_ok(format($$ delete from flowstate.audit_log where flow_id = %L $$, :'flow_id'), '42501', null,
                 'DBA: DELETE from audit_log is refused');
select throws_ok(format($$ delete from flowstate.checkpoints where flow_id = %L $$, :'flow_id'), '42501', null,
                 'DBA: DELETE from checkpoints');
select throws_ok(format($$ delete from flowstate.erasures where flow_id = %L $$, :'erased'), '42501', null,
                 'DBA: DELETE of a tombstone');
select throws_ok(format($$ insert into flowstate.erasures (flow_id, action, erased_by_role, reason, row_counts, erased_tx)
                           values (%L, 'delete', 'x', 'x', '{}', pg_current_xact_id()) $$, :'flow_id'), '42501', null,
                 'DBA: writing a tombstone');
select throws_ok(format($$ select flowstate._erase_flows(array[%L]::uuid[], 'x') $$, :'flow_id'), '42501', null,
                 'DBA: calling the erasure helper');
select throws_ok(format($$ select flowstate._compact_flows(array[%L]::uuid[], 'x') $$, :'flow_id'), '42501', null,
                 'DBA: calling the compaction helper');
select throws_ok(format($$ select flowstate._erasing(%L) $$, :'flow_id'), '42501', null, 'DBA: calling the guard''s check');
reset role;

-- As the application.
set local role flowstate_app;
select throws_ok(format($$ delete from flowstate.audit_log where flow_id = %L $$, :'flow_id'), '42501', null,
                 'application: DELETE from audit_log is refused');
select throws_ok(format($$ select flowstate._erase_flows(array[%L]::uuid[], 'x') $$, :'flow_id'), '42501', null,
                 'application: calling the erasure helper');
select throws_ok($$ select flowstate._append_only() $$, '42501', null, 'application: calling the guard');
reset role;

select ok(pg_temp.unchanged(), 'every row of the flow, and every tombstone, is as it was');
select is(flowstate.flow_delete(:'flow_id', 'the one way', flowstate_tests.ctx()) ->> 'action', 'delete',
          'flow_delete, with its tombstone, still erases it');

select * from finish();
rollback;
