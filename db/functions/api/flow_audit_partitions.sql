-- flowstate.flow_audit_partitions
-- Create the monthly partitions of flowstate.audit_log from this month to p_months_ahead
-- months ahead (where missing), so rows never pile up in the default partition and
-- retention can drop whole months. Run by every upgrade; schedule it monthly as well.
create or replace function flowstate.flow_audit_partitions(p_months_ahead integer default 3)
returns setof text
language plpgsql
security definer
set search_path = ''
set timezone = 'UTC'  -- months are UTC months whatever the session's time zone
as $$
declare
  v_month date;
  v_name text;
begin
  perform flowstate._context(null);  -- raises FS001 unless the caller is an admin
  for v_month in
    select generate_series(date_trunc('month', now()), date_trunc('month', now()) + make_interval(months => p_months_ahead), '1 month')::date
  loop
    v_name := format('audit_log_y%sm%s', to_char(v_month, 'YYYY'), to_char(v_month, 'MM'));
    continue when exists (select from pg_catalog.pg_class c where c.relname = v_name and c.relnamespace = 'flowstate'::regnamespace);
    -- A month whose rows already sit in the default partition cannot get its own.
    continue when exists (select from flowstate.audit_log_default d
                           where d.logged_at >= v_month and d.logged_at < v_month + interval '1 month');
    execute format('create table flowstate.%I partition of flowstate.audit_log for values from (%L) to (%L)',
                   v_name, v_month, (v_month + interval '1 month')::date);
    execute format('alter table flowstate.%I owner to flowstate_owner', v_name);
    -- TRUNCATE triggers are per table: a partition needs its own guard.
    execute format('create trigger no_truncate before truncate on flowstate.%I
                    for each statement execute function flowstate._append_only()', v_name);
    return next v_name;
  end loop;
end;
$$;

comment on function flowstate.flow_audit_partitions(integer) is
'Create the monthly partitions of flowstate.audit_log up to p_months_ahead months ahead; returns the names created. Admin only (FS001 otherwise). Run by db upgrade; schedule it monthly.';

select flowstate.flow_audit_partitions();

-- Every partition, the default one included, refuses TRUNCATE (idempotent).
do $guard$
declare
  v_partition regclass;
begin
  for v_partition in select i.inhrelid::regclass from pg_catalog.pg_inherits i
                      where i.inhparent = 'flowstate.audit_log'::regclass
  loop
    execute format('create or replace trigger no_truncate before truncate on %s
                    for each statement execute function flowstate._append_only()', v_partition);
  end loop;
end
$guard$;
