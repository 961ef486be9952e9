-- Rebuilding a flow's past versions from the audit trail.

-- flowstate._content_at
-- A flow's audited content as it was at p_version (see flowstate._audit_content), with the
-- audit row that produced it; NULL when that version is not in the trail. Only the rows of
-- generation p_generation (NULL: the current flow's) count: an earlier flow with the same id
-- has its own. Reads the newest snapshot at or below p_version and the changes after it (at
-- most audit_snapshot_every rows and about a state's worth of data), and applies only the
-- last change of each path.
drop function if exists flowstate._content_at(uuid, bigint);
create or replace function flowstate._content_at(
  p_flow_id uuid, p_version bigint, p_generation bigint default null, out content jsonb, out logged_at timestamptz
)
language plpgsql
stable
as $$
declare
  v_base record;
begin
  p_generation := coalesce(p_generation, flowstate._generation(p_flow_id));
  select a.logged_at into logged_at
    from flowstate.audit_log a
   where a.flow_id = p_flow_id and a.new_version = p_version and a.operation not in ('checkpoint', 'archive', 'forked', 'compact')
     and a.generation = p_generation
   order by a.new_version desc, a.audit_id desc limit 1;
  if logged_at is null then
    return;
  end if;
  select a.new_version, a.audit_id, a.snapshot into v_base
    from flowstate.audit_log a
   where a.flow_id = p_flow_id and a.new_version <= p_version and a.snapshot is not null
     and a.operation not in ('admin_delete') and a.generation = p_generation
   order by a.new_version desc, a.audit_id desc limit 1;
  if v_base.snapshot is null then
    return;
  end if;
  -- Net changes: a change is dropped when a later one sets or deletes the same path or a
  -- parent of it, so a key changed a thousand times is applied once. The latest change of
  -- each path first (one sort), then parents among those few.
  content := flowstate._jsonb_patch(v_base.snapshot, (
    with c as (
      select e.change, e.ord, a.audit_id,
             array(select jsonb_array_elements_text(e.change -> 0)) as path
        from flowstate.audit_log a, jsonb_array_elements(a.changes) with ordinality as e(change, ord)
       where a.flow_id = p_flow_id and a.new_version > v_base.new_version and a.new_version <= p_version
         and a.changes is not null and a.audit_id > v_base.audit_id and a.generation = p_generation),
    latest as (
      select distinct on (c.path) c.path, c.change, c.audit_id, c.ord
        from c order by c.path, c.audit_id desc, c.ord desc)
    select coalesce(jsonb_agg(l.change order by l.audit_id, l.ord), '[]') from latest l
     where not exists (select from latest parent
                        where (parent.audit_id, parent.ord) > (l.audit_id, l.ord)
                          and cardinality(parent.path) < cardinality(l.path)
                          and parent.path = l.path[1:cardinality(parent.path)])));
end;
$$;

comment on function flowstate._content_at(uuid, bigint, bigint) is
'Internal. Rebuild a flow''s audited content at p_version (of generation p_generation; NULL: the current flow''s) from the nearest snapshot and the net changes after it.';
