-- Partition maintenance is for admins: flowstate_app (which may EXECUTE it) gets FS001 and
-- no partition is created.
begin;
\ir ../_helpers.sql
select plan(2);

select count(*) as partitions_before from flowstate_tests.audit_partitions() \gset
set local role flowstate_app;
select throws_ok($$ select flowstate.flow_audit_partitions(p_months_ahead => 12) $$, 'FS001', null,
                 'the application role is refused with FS001');
reset role;
select is((select count(*) from flowstate_tests.audit_partitions()), :partitions_before::bigint, 'no partition was created');

select * from finish();
rollback;
