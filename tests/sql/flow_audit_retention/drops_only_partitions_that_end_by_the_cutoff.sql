-- Only partitions whose whole month ends on or before p_before go: a cutoff in the middle of
-- a month keeps that month; the default partition is never dropped; this month's is kept.
begin;
\ir ../_helpers.sql
select plan(4);

create table flowstate.audit_log_y2020m01 partition of flowstate.audit_log for values from ('2020-01-01') to ('2020-02-01');
create table flowstate.audit_log_y2020m02 partition of flowstate.audit_log for values from ('2020-02-01') to ('2020-03-01');
alter table flowstate.audit_log_y2020m01 owner to flowstate_owner;
alter table flowstate.audit_log_y2020m02 owner to flowstate_owner;

select is(flowstate.flow_audit_retention('2020-02-15'), '{"partitions_dropped": ["audit_log_y2020m01"], "flows_rebased": 0}'::jsonb,
          'a mid-February cutoff drops January only');
select is(array(select relname::text from pg_class where relnamespace = 'flowstate'::regnamespace
                   and relname in ('audit_log_y2020m01', 'audit_log_y2020m02', 'audit_log_default') order by relname),
          array['audit_log_default', 'audit_log_y2020m02'], 'February and the default partition remain');
select is((select partitions_dropped from flowstate.retention_log order by ran_at desc limit 1), array['audit_log_y2020m01'],
          'retention_log names the partition dropped');
select is((select count(*) from flowstate_tests.audit_partitions() where upper_bound > now()), 4::bigint,
          'this month''s and the coming months'' partitions are kept');

select * from finish();
rollback;
