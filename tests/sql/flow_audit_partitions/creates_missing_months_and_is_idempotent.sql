-- An admin may call flow_audit_partitions again (a monthly job): it creates only the months
-- still missing up to p_months_ahead, returns their names, and a repeat creates nothing.
begin;
\ir ../_helpers.sql
select plan(4);

select is_empty($$ select flowstate.flow_audit_partitions() $$, 'with every month present, nothing is created');
set local role flowstate_admin;
select results_eq($$ select flowstate.flow_audit_partitions(p_months_ahead => 5) $$,
                  array(select format('audit_log_y%sm%s', to_char(m, 'YYYY'), to_char(m, 'MM'))
                          from generate_series(date_trunc('month', now() at time zone 'UTC') + interval '4 months',
                                               date_trunc('month', now() at time zone 'UTC') + interval '5 months', interval '1 month') m),
                  'p_months_ahead 5 creates the fifth and sixth months and names them');
select is_empty($$ select flowstate.flow_audit_partitions(p_months_ahead => 5) $$, 'a repeat creates nothing');
reset role;
select is_empty($$ select name from flowstate_tests.audit_partitions() where owner <> 'flowstate_owner' $$,
                'the new partitions are owned by flowstate_owner too');

select * from finish();
rollback;
