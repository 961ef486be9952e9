-- After an upgrade flowstate.audit_log has a partition for this month and each of the next
-- three (audit_log_yYYYYmMM, one calendar month each, owned by flowstate_owner), so new audit
-- rows never land in the default partition.
begin;
\ir ../_helpers.sql
select plan(4);

create temporary table expected on commit drop as
  select format('audit_log_y%sm%s', to_char(m, 'YYYY'), to_char(m, 'MM')) as name,
         m as lower_bound, m + interval '1 month' as upper_bound
    from generate_series(date_trunc('month', now() at time zone 'UTC'),
                         date_trunc('month', now() at time zone 'UTC') + interval '3 months', interval '1 month') m;

select is((select count(*) from expected e join flowstate_tests.audit_partitions() p using (name)), 4::bigint,
          'a partition exists for this month and each of the next three');
select is_empty($$ select e.name from expected e join flowstate_tests.audit_partitions() p using (name)
                    where p.lower_bound <> e.lower_bound at time zone 'UTC' or p.upper_bound <> e.upper_bound at time zone 'UTC' $$,
                'each covers its calendar month (UTC)');
select is_empty($$ select name from flowstate_tests.audit_partitions() where owner <> 'flowstate_owner' $$,
                'every partition is owned by flowstate_owner');

select flowstate_tests.make_flow(p_versions => 1) as flow_id \gset
select is((select tableoid::regclass::text from flowstate.audit_log where flow_id = :'flow_id'),
          (select 'flowstate.' || name from expected order by lower_bound limit 1),
          'a new audit row lands in this month''s partition');

select * from finish();
rollback;
