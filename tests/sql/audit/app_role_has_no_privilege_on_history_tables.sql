-- The application role reaches history only through the functions: it holds no privilege at
-- all on audit_log (nor any of its partitions), checkpoints, quarantine or retention_log, and
-- switching on the retention bypass by hand (flowstate.retention = 'on') gives it nothing:
-- every read and write is refused with 42501 and nothing changes.
begin;
\ir ../_helpers.sql
select plan(9);

select flowstate_tests.make_flow(p_versions => 2) as flow_id \gset
select flowstate.flow_create_checkpoint(:'flow_id', null, null, flowstate_tests.ctx()) is not null as checkpointed \gset
select md5(string_agg(a::text, ',' order by audit_id)) as audit_rows from flowstate.audit_log a \gset

select is_empty($$
  select t.oid::regclass, p.privilege
    from pg_class t
    cross join unnest(array['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER']) p(privilege)
   where (t.oid in ('flowstate.audit_log'::regclass, 'flowstate.checkpoints'::regclass, 'flowstate.quarantine'::regclass,
                    'flowstate.retention_log'::regclass)
          or t.oid in (select inhrelid from pg_inherits where inhparent = 'flowstate.audit_log'::regclass))
     and has_table_privilege('flowstate_app', t.oid, p.privilege) $$,
  'flowstate_app has no privilege on the history tables or any audit partition');

set local role flowstate_app;
set local flowstate.retention = 'on';
select throws_ok($$ select count(*) from flowstate.audit_log $$, '42501', null, 'it cannot read the audit trail');
select throws_ok($$ select count(*) from flowstate.audit_log_default $$, '42501', null, 'nor a partition of it directly');
select throws_ok(format($$ update flowstate.audit_log set label = 'x' where flow_id = %L $$, :'flow_id'), '42501', null,
                 'with the retention switch on it still cannot update audit rows');
select throws_ok(format($$ delete from flowstate.audit_log where flow_id = %L $$, :'flow_id'), '42501', null,
                 'nor delete them');
select throws_ok($$ truncate flowstate.audit_log $$, '42501', null, 'nor truncate the table');
select throws_ok(format($$ insert into flowstate.audit_log (flow_id, operation, actor_role) values (%L, 'save', 'x') $$, :'flow_id'),
                 '42501', null, 'nor forge a row');
select throws_ok($$ select count(*) from flowstate.checkpoints $$, '42501', null, 'nor read checkpoints');
reset role;

select is((select md5(string_agg(a::text, ',' order by audit_id)) from flowstate.audit_log a), :'audit_rows',
          'the audit rows are unchanged');

select * from finish();
rollback;
