-- flowstate.flow_history
-- A flow's audit trail, oldest first, optionally from p_since, of one p_operation, at most
-- p_limit rows; only the current flow's rows, never an earlier flow's with its id. Empty for a
-- missing flow or another tenant's. Raises FS001 (context, a negative p_limit, p_operation over
-- max_name_bytes).
create or replace function flowstate.flow_history(
  p_flow_id uuid, p_context jsonb,
  p_since timestamptz default null, p_operation text default null, p_limit integer default null
)
returns table (
  audit_id bigint, logged_at timestamptz, operation text, old_version bigint, new_version bigint,
  old_phase text, new_phase text, actor_user_id uuid, actor_role text, label text,
  changes jsonb, snapshot boolean
)
language plpgsql
stable
security definer
set search_path = ''
-- Generic plans: the optional filters and LIMIT made every call plan its query again (about
-- 150 us); p_since still prunes audit partitions, at executor start-up.
set plan_cache_mode = force_generic_plan
as $$
declare
  v_checked boolean := flowstate._check_size('p_operation', octet_length(p_operation), 'max_name_bytes', p_flow_id);
  v_generation bigint;
begin
  if p_limit < 0 then
    raise exception 'p_limit must not be negative'
      using errcode = 'FS001', detail = jsonb_build_object('flow_id', p_flow_id, 'errors', jsonb_build_array(
        format('p_limit must be 0 or more (NULL: no limit), not %s.', p_limit)))::text;
  end if;
  if flowstate._context(p_context) then
    v_generation := flowstate._generation(p_flow_id);  -- NULL (no rows) for a missing or foreign flow
    return query
      select a.audit_id, a.logged_at, a.operation::text, a.old_version, a.new_version, a.old_phase, a.new_phase,
             a.actor_user_id, a.actor_role, a.label, a.changes, a.snapshot is not null
        from flowstate.audit_log a
       where a.flow_id = p_flow_id and a.generation = v_generation
         and a.logged_at >= coalesce(p_since, '-infinity')  -- prunable, unlike an OR
         and (p_operation is null or a.operation = p_operation)
       order by a.audit_id
       limit p_limit;
  end if;
end;
$$;

comment on function flowstate.flow_history(uuid, jsonb, timestamptz, text, integer) is
'The audit trail of a flow, oldest first: who (actor_user_id from the context, actor_role), when, which operation, versions and phases, and what changed (changes: [[path], value] sets and [[path]] deletions; snapshot = true where the row holds a full copy instead). Filters: p_since, p_operation, p_limit (0 or more; NULL: all). No rows for a missing flow or another tenant''s, and never a row of an earlier flow with the same id (deleted by a DBA). Errors: FS001 invalid context, negative p_limit, p_operation over max_name_bytes.';
