-- flowstate_app may EXECUTE the functions and nothing else: no privilege on any table,
-- partition, column or sequence in schema flowstate, and direct access is refused.
begin;
\ir ../_helpers.sql
select plan(16);

select table_privs_are('flowstate', t, 'flowstate_app', '{}'::text[], format('flowstate_app has no privilege on flowstate.%s', t))
  from unnest(array['flows', 'audit_log', 'audit_log_default', 'settings', 'flow_types', 'phase_transitions',
                    'function_files', 'erasures', 'retention_policies']) as t;

select is_empty($$
  select c.oid::regclass::text, p.privilege
    from pg_class c
   cross join unnest(array['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER']) as p(privilege)
   where c.relnamespace = 'flowstate'::regnamespace and c.relkind in ('r', 'p', 'v', 'm', 'f')
     and (has_table_privilege('flowstate_app', c.oid, p.privilege)
          or (p.privilege in ('SELECT', 'INSERT', 'UPDATE', 'REFERENCES')
              and has_any_column_privilege('flowstate_app', c.oid, p.privilege)))
  union all
  select c.oid::regclass::text, p.privilege
    from pg_class c
   cross join unnest(array['USAGE', 'SELECT', 'UPDATE']) as p(privilege)
   where c.relnamespace = 'flowstate'::regnamespace and c.relkind = 'S'
     and has_sequence_privilege('flowstate_app', c.oid, p.privilege) $$,
  'no table, partition, column or sequence of schema flowstate grants flowstate_app anything');

set local role flowstate_app;
select throws_ok($$ select * from flowstate.flows $$, '42501', null, 'flowstate_app cannot read flows');
select throws_ok($$ insert into flowstate.settings values ('x', 1, 'x') $$, '42501', null, 'nor change settings');
select throws_ok($$ update flowstate.audit_log set label = 'x' $$, '42501', null, 'nor update the audit trail');
select throws_ok($$ delete from flowstate.audit_log $$, '42501', null, 'nor delete from it');
select throws_ok($$ delete from flowstate.audit_log_default $$, '42501', null, 'nor from its partition');
select throws_ok($$ truncate flowstate.phase_transitions $$, '42501', null, 'nor truncate a phase graph');

select * from finish();
rollback;
