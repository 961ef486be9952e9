-- Dropping audit history is for admins: flowstate_app gets FS001 and nothing is dropped or
-- logged; a flowstate_admin member may run it and is named in retention_log.
begin;
\ir ../_helpers.sql
select plan(5);

create table flowstate.audit_log_y2020m01 partition of flowstate.audit_log for values from ('2020-01-01') to ('2020-02-01');
alter table flowstate.audit_log_y2020m01 owner to flowstate_owner;
select count(*) as logged_before from flowstate.retention_log \gset

set local role flowstate_app;
select throws_ok($$ select flowstate.flow_audit_retention('2020-02-01') $$, 'FS001', null, 'the application role is refused with FS001');
reset role;
select is((select count(*) from pg_class where relname = 'audit_log_y2020m01' and relnamespace = 'flowstate'::regnamespace),
          1::bigint, 'nothing is dropped');
select is((select count(*) from flowstate.retention_log), :logged_before::bigint, 'nothing is logged');

set local role flowstate_admin;
select is(flowstate.flow_audit_retention('2020-02-01') -> 'partitions_dropped', '["audit_log_y2020m01"]'::jsonb,
          'an admin may run it');
reset role;
select is((select ran_by from flowstate.retention_log order by ran_at desc limit 1), 'flowstate_admin',
          'and is named in retention_log');

select * from finish();
rollback;
