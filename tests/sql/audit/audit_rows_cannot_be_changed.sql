-- The audit trail is append-only: neither the application role nor a DBA (flowstate_admin)
-- may update, delete or truncate its rows, and a guard stops even the owning role, on the
-- table and on each of its partitions (old history goes only through flow_audit_retention).
begin;
\ir ../_helpers.sql
select plan(9);

select flowstate_tests.make_flow(p_versions => 2) as flow_id \gset
select md5(string_agg(a::text, ',' order by audit_id)) as before from flowstate.audit_log a where flow_id = :'flow_id' \gset
select tableoid::regclass as partition from flowstate.audit_log where flow_id = :'flow_id' limit 1 \gset

set local role flowstate_app;
select throws_ok(format($$ update flowstate.audit_log set label = 'x' where flow_id = %L $$, :'flow_id'), '42501', null,
                 'flowstate_app cannot update audit rows');
select throws_ok(format($$ delete from flowstate.audit_log where flow_id = %L $$, :'flow_id'), '42501', null,
                 'flowstate_app cannot delete audit rows');
reset role;

set local role flowstate_admin;
select throws_ok(format($$ update flowstate.audit_log set label = 'x' where flow_id = %L $$, :'flow_id'), '42501', null,
                 'flowstate_admin cannot update audit rows');
select throws_ok(format($$ delete from flowstate.audit_log where flow_id = %L $$, :'flow_id'), '42501', null,
                 'flowstate_admin cannot delete audit rows');
reset role;

set local role flowstate_owner;
select isnt(flowstate_tests.outcome_of(format($$ update flowstate.audit_log set label = 'x' where flow_id = %L $$, :'flow_id'))
              ->> 'sqlstate', '00000', 'even the owner cannot update audit rows');
select isnt(flowstate_tests.outcome_of(format($$ delete from flowstate.audit_log where flow_id = %L $$, :'flow_id'))
              ->> 'sqlstate', '00000', 'even the owner cannot delete audit rows');
select isnt(flowstate_tests.outcome_of('truncate flowstate.audit_log') ->> 'sqlstate', '00000',
            'even the owner cannot truncate the audit trail');
select isnt(flowstate_tests.outcome_of(format('truncate %s', :'partition')) ->> 'sqlstate', '00000',
            format('nor truncate the partition holding the rows (%s)', :'partition'));
reset role;
select is((select md5(string_agg(a::text, ',' order by audit_id)) from flowstate.audit_log a where flow_id = :'flow_id'),
          :'before', 'the audit rows are unchanged');

select * from finish();
rollback;
