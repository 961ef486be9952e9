-- flowstate.flow_audit_retention
-- Drop the monthly audit partitions that end on or before p_before: the only way history is
-- ever removed. Versions that stay rebuildable stay so: a flow whose oldest remaining change
-- record depends on a dropped snapshot first gets that record rewritten as a full snapshot.
-- Recorded in flowstate.retention_log. Admin only. Returns {partitions_dropped, flows_rebased}.
-- Raises FS001 (not an admin).
create or replace function flowstate.flow_audit_retention(p_before timestamptz)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_partitions text[];
  v_bound timestamptz;
  v_row record;
  v_rebased bigint := 0;
  v_published text;  -- set_config() results, unused
begin
  perform flowstate._context(null);  -- raises FS001 unless the caller is an admin
  select array_agg(c.relname order by c.relname), max(b.upper_bound)
    into v_partitions, v_bound
    from pg_catalog.pg_inherits i
    join pg_catalog.pg_class c on c.oid = i.inhrelid
    cross join lateral (
      select (regexp_match(pg_catalog.pg_get_expr(c.relpartbound, c.oid), 'TO \(''([^'']+)''\)'))[1]::timestamptz as upper_bound) b
   where i.inhparent = 'flowstate.audit_log'::regclass and b.upper_bound <= p_before;
  if v_partitions is null then
    insert into flowstate.retention_log (ran_by, before, partitions_dropped, flows_rebased)
    values (flowstate._caller_role(), p_before, '{}', 0);
    return jsonb_build_object('partitions_dropped', '[]'::jsonb, 'flows_rebased', 0);
  end if;

  -- The first kept row of each flow must not need anything that is about to go.
  v_published := set_config('flowstate.retention', 'on', true);
  for v_row in
    -- Per flow: each life (generation) of a reused id has its own history.
    select distinct on (a.flow_id, a.generation) a.flow_id, a.generation, a.audit_id, a.new_version, a.logged_at
      from flowstate.audit_log a
     where a.logged_at >= v_bound and a.operation not in ('checkpoint', 'archive', 'forked', 'compact')
       and exists (select from flowstate.audit_log o
                    where o.flow_id = a.flow_id and o.generation = a.generation and o.logged_at < v_bound)
     order by a.flow_id, a.generation, a.audit_id
  loop
    continue when exists (select from flowstate.audit_log a where a.audit_id = v_row.audit_id
                            and a.flow_id = v_row.flow_id and a.snapshot is not null);
    update flowstate.audit_log a
       set snapshot = (flowstate._content_at(v_row.flow_id, v_row.new_version, v_row.generation)).content, changes = null
     where a.flow_id = v_row.flow_id and a.audit_id = v_row.audit_id and a.logged_at = v_row.logged_at;
    v_rebased := v_rebased + 1;
  end loop;
  for i in 1 .. cardinality(v_partitions) loop
    execute format('drop table flowstate.%I', v_partitions[i]);
  end loop;
  v_published := set_config('flowstate.retention', 'off', true);

  insert into flowstate.retention_log (ran_by, before, partitions_dropped, flows_rebased)
  values (flowstate._caller_role(), p_before, v_partitions, v_rebased);
  return jsonb_build_object('partitions_dropped', to_jsonb(v_partitions), 'flows_rebased', v_rebased);
end;
$$;

comment on function flowstate.flow_audit_retention(timestamptz) is
'Drop the monthly flowstate.audit_log partitions that end on or before p_before (the only way audit history is removed), first turning each flow''s oldest kept change record into a full snapshot where it needs one. Recorded in flowstate.retention_log. Admin only. Returns {partitions_dropped, flows_rebased}. Errors: FS001 not an admin.';
