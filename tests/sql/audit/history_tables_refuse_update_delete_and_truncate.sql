-- The audit trail, checkpoints and quarantine are append-only for everyone: UPDATE, DELETE
-- and TRUNCATE fail with 42501 for the superuser, the owning role and a DBA (flowstate_admin)
-- alike, TRUNCATE of an audit partition directly too, and afterwards every row is as it was
-- (the application role: app_role_has_no_privilege_on_history_tables.sql).
begin;
\ir ../_helpers.sql
select plan(31);

select flowstate_tests.make_flow(p_versions => 2) as flow_id \gset
select flowstate.flow_create_checkpoint(:'flow_id', null, 'cp', flowstate_tests.ctx()) is not null as checkpointed \gset
update flowstate.flows set current_phase = 'bogus' where flow_id = :'flow_id';
select flowstate.flow_handle_corrupted(:'flow_id', flowstate_tests.ctx()) is not null as quarantined \gset
select (select md5(string_agg(a::text, ',' order by audit_id)) from flowstate.audit_log a) as audit_rows,
       (select md5(string_agg(c::text, ',' order by checkpoint_id)) from flowstate.checkpoints c) as checkpoint_rows,
       (select md5(string_agg(q::text, ',' order by quarantine_id)) from flowstate.quarantine q) as quarantine_rows \gset
select tableoid::regclass::text as current_partition from flowstate.audit_log where flow_id = :'flow_id' limit 1 \gset

-- As the superuser (the session user) and as the owner.
select throws_ok(format($$ update flowstate.audit_log set label = 'x' where flow_id = %L $$, :'flow_id'), '42501', null,
                 'superuser: UPDATE of audit_log is refused');
select throws_ok(format($$ delete from flowstate.audit_log where flow_id = %L $$, :'flow_id'), '42501', null,
                 'superuser: DELETE from audit_log is refused');
select throws_ok($$ truncate flowstate.audit_log $$, '42501', null, 'superuser: TRUNCATE of audit_log is refused');
select throws_ok(format($$ truncate %s $$, :'current_partition'), '42501', null, 'superuser: TRUNCATE of this month''s partition is refused');
select throws_ok($$ truncate flowstate.audit_log_default $$, '42501', null, 'superuser: TRUNCATE of the default partition is refused');
select throws_ok(format($$ update flowstate.checkpoints set label = 'x' where flow_id = %L $$, :'flow_id'), '42501', null,
                 'superuser: UPDATE of checkpoints is refused');
select throws_ok(format($$ delete from flowstate.checkpoints where flow_id = %L $$, :'flow_id'), '42501', null,
                 'superuser: DELETE from checkpoints is refused');
select throws_ok($$ truncate flowstate.checkpoints $$, '42501', null, 'superuser: TRUNCATE of checkpoints is refused');
select throws_ok(format($$ update flowstate.quarantine set errors = '{}' where flow_id = %L $$, :'flow_id'), '42501', null,
                 'superuser: UPDATE of quarantine is refused');
select throws_ok(format($$ delete from flowstate.quarantine where flow_id = %L $$, :'flow_id'), '42501', null,
                 'superuser: DELETE from quarantine is refused');
select throws_ok($$ truncate flowstate.quarantine $$, '42501', null, 'superuser: TRUNCATE of quarantine is refused');

set local role flowstate_owner;
select throws_ok(format($$ update flowstate.audit_log set label = 'x' where flow_id = %L $$, :'flow_id'), '42501', null,
                 'owner: UPDATE of audit_log is refused');
select throws_ok(format($$ delete from flowstate.audit_log where flow_id = %L $$, :'flow_id'), '42501', null,
                 'owner: DELETE from audit_log is refused');
select throws_ok($$ truncate flowstate.audit_log $$, '42501', null, 'owner: TRUNCATE of audit_log is refused');
select throws_ok(format($$ truncate %s $$, :'current_partition'), '42501', null, 'owner: TRUNCATE of this month''s partition is refused');
select throws_ok($$ truncate flowstate.audit_log_default $$, '42501', null, 'owner: TRUNCATE of the default partition is refused');
select throws_ok(format($$ update flowstate.checkpoints set label = 'x' where flow_id = %L $$, :'flow_id'), '42501', null,
                 'owner: UPDATE of checkpoints is refused');
select throws_ok(format($$ delete from flowstate.checkpoints where flow_id = %L $$, :'flow_id'), '42501', null,
                 'owner: DELETE from checkpoints is refused');
select throws_ok($$ truncate flowstate.checkpoints $$, '42501', null, 'owner: TRUNCATE of checkpoints is refused');
select throws_ok(format($$ update flowstate.quarantine set errors = '{}' where flow_id = %L $$, :'flow_id'), '42501', null,
                 'owner: UPDATE of quarantine is refused');
select throws_ok(format($$ delete from flowstate.quarantine where flow_id = %L $$, :'flow_id'), '42501', null,
                 'owner: DELETE from quarantine is refused');
select throws_ok($$ truncate flowstate.quarantine $$, '42501', null, 'owner: TRUNCATE of quarantine is refused');
reset role;

set local role flowstate_admin;
select throws_ok(format($$ update flowstate.audit_log set label = 'x' where flow_id = %L $$, :'flow_id'), '42501', null,
                 'DBA: UPDATE of audit_log is refused');
select throws_ok(format($$ delete from flowstate.audit_log where flow_id = %L $$, :'flow_id'), '42501', null,
                 'DBA: DELETE from audit_log is refused');
select throws_ok(format($$ truncate %s $$, :'current_partition'), '42501', null, 'DBA: TRUNCATE of this month''s partition is refused');
select throws_ok(format($$ update flowstate.checkpoints set label = 'x' where flow_id = %L $$, :'flow_id'), '42501', null,
                 'DBA: UPDATE of checkpoints is refused');
select throws_ok(format($$ delete from flowstate.checkpoints where flow_id = %L $$, :'flow_id'), '42501', null,
                 'DBA: DELETE from checkpoints is refused');
select throws_ok(format($$ delete from flowstate.quarantine where flow_id = %L $$, :'flow_id'), '42501', null,
                 'DBA: DELETE from quarantine is refused');
reset role;

select is((select md5(string_agg(a::text, ',' order by audit_id)) from flowstate.audit_log a), :'audit_rows',
          'the audit rows are unchanged');
select is((select md5(string_agg(c::text, ',' order by checkpoint_id)) from flowstate.checkpoints c), :'checkpoint_rows',
          'the checkpoints are unchanged');
select is((select md5(string_agg(q::text, ',' order by quarantine_id)) from flowstate.quarantine q), :'quarantine_rows',
          'the quarantined documents are unchanged');

select * from finish();
rollback;
