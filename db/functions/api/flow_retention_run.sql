-- flowstate.flow_retention_run
-- Apply the retention policies (flowstate.retention_policies) to flows that have been in a
-- terminal phase (completed, failed) for longer than their rule's `after`: delete them (as
-- flow_delete, a tombstone each) or compact their history (flowstate._compact_flows: the state,
-- the newest snapshot and the changes after it stay; a tombstone says what went). Deletions
-- first, oldest first, at most p_limit flows in all; flows locked right now are skipped (SKIP
-- LOCKED) and left for the next run. One run at a time: a second concurrent run does nothing
-- and says so ("busy": true). p_dry_run: list what a run would do, change nothing.
-- Admins only. Returns {dry_run, busy, deleted, compacted, flows: [{flow_id, flow_type,
-- action, terminal_since}], rows (removed per table), more}. Raises FS001 (not an admin,
-- arguments).
create or replace function flowstate.flow_retention_run(p_limit integer default 1000, p_dry_run boolean default false)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_rule record;
  v_picked record;
  v_done uuid[] := '{}';
  v_flows jsonb := '[]';
  v_tombstones flowstate.erasures[] := '{}';
  v_counts jsonb := '{"delete": 0, "compact": 0}';
  v_more boolean := false;
  v_reason text;
begin
  perform flowstate._context(null);  -- raises FS001 unless the caller is an admin
  p_limit := coalesce(p_limit, 1000);  -- NULL: the default
  if p_limit < 1 or p_limit > 100000 or p_dry_run is null then
    raise exception 'invalid retention run'
      using errcode = 'FS001', detail = jsonb_build_object('errors', array_remove(array[
        case when p_limit < 1 or p_limit > 100000 then format('p_limit must be between 1 and 100000, not %s.', p_limit) end,
        case when p_dry_run is null then 'p_dry_run must be true or false.' end], null))::text;
  end if;
  -- One runner at a time (the lock, key "pgflretn" in ASCII, goes with the transaction); a dry
  -- run changes nothing.
  if not p_dry_run and not pg_try_advisory_xact_lock(8099555070810879086) then
    return jsonb_build_object('dry_run', false, 'busy', true, 'deleted', 0, 'compacted', 0, 'flows', '[]'::jsonb,
                              'rows', '{}'::jsonb, 'more', true);
  end if;

  for v_rule in select r.* from flowstate._retention_rules() r order by r.action = 'delete' desc, r.flow_type loop
    exit when cardinality(v_done) >= p_limit;
    -- The flows this rule applies to, oldest first, from the partial indexes on finished flows.
    if v_rule.action = 'delete' then
      select array_agg(c.flow_id) as ids,
             jsonb_agg(jsonb_build_object('flow_id', c.flow_id, 'flow_type', v_rule.flow_type, 'action', 'delete',
                                          'terminal_since', flowstate._iso(c.updated_at))) as listed
        into v_picked
        from (select f.flow_id, f.updated_at from flowstate.flows f
               where f.flow_type = v_rule.flow_type and f.current_phase in ('completed', 'failed')
                 and f.updated_at < now() - v_rule.after and f.flow_id <> all (v_done)
               order by f.updated_at
               limit p_limit - cardinality(v_done)
               for update skip locked) c;
    else
      select array_agg(c.flow_id) as ids,
             jsonb_agg(jsonb_build_object('flow_id', c.flow_id, 'flow_type', v_rule.flow_type, 'action', 'compact',
                                          'terminal_since', flowstate._iso(c.updated_at))) as listed
        into v_picked
        from (select f.flow_id, f.updated_at from flowstate.flows f
               where f.flow_type = v_rule.flow_type and f.current_phase in ('completed', 'failed')
                 and f.compacted_version is distinct from f.flow_version
                 and f.updated_at < now() - v_rule.after and f.flow_id <> all (v_done)
               order by f.updated_at
               limit p_limit - cardinality(v_done)
               for update skip locked) c;
    end if;
    continue when v_picked.ids is null;
    v_done := v_done || v_picked.ids;
    v_flows := v_flows || v_picked.listed;
    v_counts := jsonb_set(v_counts, array[v_rule.action], to_jsonb((v_counts ->> v_rule.action)::bigint + cardinality(v_picked.ids)));
    continue when p_dry_run;
    v_reason := format('retention: %s after %s in a terminal phase (%s)', v_rule.action, v_rule.after,
                       case when v_rule.is_default then 'default policy' else format('policy of flow type %s', v_rule.flow_type) end);
    if v_rule.action = 'delete' then
      v_tombstones := v_tombstones || array(select t from flowstate._erase_flows(v_picked.ids, v_reason) t);
    else
      v_tombstones := v_tombstones || array(select t from flowstate._compact_flows(v_picked.ids, v_reason) t);
    end if;
  end loop;

  -- Anything left for the next run: past p_limit, or skipped because it was locked.
  for v_rule in select r.* from flowstate._retention_rules() r loop
    v_more := exists (select from flowstate.flows f
                       where f.flow_type = v_rule.flow_type and f.current_phase in ('completed', 'failed')
                         and (v_rule.action = 'delete' or f.compacted_version is distinct from f.flow_version)
                         and f.updated_at < now() - v_rule.after and f.flow_id <> all (v_done));
    exit when v_more;
  end loop;

  return jsonb_build_object('dry_run', p_dry_run, 'busy', false,
                            'deleted', (v_counts ->> 'delete')::bigint, 'compacted', (v_counts ->> 'compact')::bigint,
                            'flows', v_flows, 'rows', flowstate._row_totals(v_tombstones), 'more', v_more);
end;
$$;

comment on function flowstate.flow_retention_run(integer, boolean) is
'Apply flowstate.retention_policies to flows in a terminal phase (completed, failed) for longer than their rule''s `after`: delete them (tombstone each, as flow_delete) or compact their history (state, newest snapshot and later changes kept; checkpoints, quarantine and older history dropped; tombstone each). Deletions first, oldest first, at most p_limit flows (NULL: 1000); locked flows are skipped (SKIP LOCKED). One run at a time: a concurrent run returns busy: true and does nothing. p_dry_run: list only. Admins only. Returns {dry_run, busy, deleted, compacted, flows: [{flow_id, flow_type, action, terminal_since}], rows, more}. Errors: FS001 not an admin or invalid arguments.';
