-- Partition bounds must not depend on the caller's TimeZone: the upgrade may run in one
-- zone and the monthly job in another. Called from Asia/Tokyo or America/New_York, new
-- months must start at UTC midnight on the 1st and join the existing partitions with neither
-- an overlap (an error) nor a gap (rows that would fall into the default partition).
begin;
\ir ../_helpers.sql
select plan(4);

set local timezone = 'Asia/Tokyo';
select lives_ok($$ select flowstate.flow_audit_partitions(p_months_ahead => 5) $$,
                'called from Asia/Tokyo, new months are created without an overlap');
set local timezone = 'America/New_York';
select lives_ok($$ select flowstate.flow_audit_partitions(p_months_ahead => 7) $$,
                'called from America/New_York too');
reset timezone;

select is_empty($$ select name, lower_bound from flowstate_tests.audit_partitions()
                    where lower_bound <> date_trunc('month', lower_bound at time zone 'UTC') at time zone 'UTC' $$,
                'every partition starts at UTC midnight on the 1st');
select is_empty($$ select name, upper_bound, next_lower
                     from (select name, upper_bound, lead(lower_bound) over (order by lower_bound) as next_lower
                             from flowstate_tests.audit_partitions()) p
                    where next_lower is not null and next_lower <> upper_bound $$,
                'the monthly partitions join without gaps');

select * from finish();
rollback;
