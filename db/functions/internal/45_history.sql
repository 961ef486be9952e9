-- Rebuilding a flow's past versions from the audit trail.

-- flowstate._jsonb_merge
-- flowstate._jsonb_patch in one pass: p_changes (changes as _jsonb_diff writes them, in the
-- order they were made, paths from the top of p_doc) applied to p_doc, the value at depth
-- p_depth of the document they were made to. The result equals applying them one by one,
-- but each changed object is rebuilt once: its unchanged keys are copied once, and each
-- changed key's new value is computed from that key's own changes (one jsonb_set on the
-- small value it holds, or a call for its subtree when several changes fall in it). Applying
-- them one by one copies the whole document per change (100 changes of a 100 KB state: 10 MB).
create or replace function flowstate._jsonb_merge(p_doc jsonb, p_changes jsonb, p_depth integer default 0)
returns jsonb
language plpgsql
immutable
as $$
declare
  v_last bigint;
  v_shared integer := 0;
  v_path text[];
  v_sub jsonb;
begin
  -- The last change of this very value replaces it (NULL: deleted); the changes before it
  -- only changed what it replaces.
  select max(e.n) into v_last
    from jsonb_array_elements(p_changes) with ordinality as e(change, n)
   where jsonb_array_length(e.change -> 0) = p_depth;
  if v_last is not null then
    p_doc := p_changes -> (v_last::integer - 1) -> 1;
    p_changes := (select coalesce(jsonb_agg(e.change order by e.n), '[]')
                    from jsonb_array_elements(p_changes) with ordinality as e(change, n) where e.n > v_last);
  end if;
  if jsonb_array_length(p_changes) = 0 or p_doc is null then
    return p_doc;  -- nothing below a missing value changes, as with jsonb_set
  end if;
  if jsonb_typeof(p_doc) is distinct from 'object' then
    -- Below a value that is not an object (_jsonb_diff never writes such a change): exactly
    -- as _jsonb_patch would apply them (an array index, or nothing below a missing value).
    return flowstate._jsonb_patch(jsonb_build_object('v', p_doc), (
      select jsonb_agg(case when jsonb_array_length(e.change) = 1 then jsonb_build_array(r.path)
                            else jsonb_build_array(r.path, e.change -> 1) end order by e.n)
        from jsonb_array_elements(p_changes) with ordinality as e(change, n),
             lateral (select '["v"]'::jsonb || jsonb_agg(p.key order by p.i) as path
                        from jsonb_array_elements(e.change -> 0) with ordinality as p(key, i) where p.i > p_depth) r)) -> 'v';
  end if;
  -- While every change falls under one key (state_data, then records, ...), go straight down:
  -- the merged value there goes in with one jsonb_set, which rebuilds this value once, where
  -- rebuilding each level on the way would rebuild the levels below it again.
  while (select count(distinct e.change -> 0 ->> (p_depth + v_shared)) = 1
                and min(jsonb_array_length(e.change -> 0)) > p_depth + v_shared
           from jsonb_array_elements(p_changes) as e(change)) loop
    v_shared := v_shared + 1;
  end loop;
  if v_shared > 0 then
    v_path := (array(select jsonb_array_elements_text(p_changes -> 0 -> 0)))[p_depth + 1:p_depth + v_shared];
    v_sub := flowstate._jsonb_merge(p_doc #> v_path, p_changes, p_depth + v_shared);
    return case when v_sub is null then p_doc #- v_path else jsonb_set(p_doc, v_path, v_sub, true) end;
  end if;
  -- A stored value arrives as a TOAST pointer, which each use below would fetch and
  -- decompress again: take it out once (#> '{}' returns its input detoasted).
  p_doc := p_doc #> '{}';
  -- One new value per changed key (computed once: offset 0 keeps the planner from copying
  -- the expression into each aggregate below, which would rebuild a subtree three times per
  -- level), then the object rebuilt once: deleted keys removed and the others set in one ||.
  return (
    select (p_doc - coalesce(array_agg(k.key) filter (where k.value is null), '{}'))
           || coalesce(jsonb_object_agg(k.key, k.value) filter (where k.value is not null), '{}')
      from (select g.key,
                   case when jsonb_array_length(g.changes) > 1 then flowstate._jsonb_merge(p_doc -> g.key, g.changes, p_depth + 1)
                        when jsonb_array_length(g.changes -> 0 -> 0) = p_depth + 1 then g.changes -> 0 -> 1
                        when jsonb_array_length(g.changes -> 0) = 1 then (p_doc -> g.key) #- g.rest
                        else jsonb_set(p_doc -> g.key, g.rest, g.changes -> 0 -> 1, true) end as value
              from (select x.key, x.changes,
                           (array(select jsonb_array_elements_text(x.changes -> 0 -> 0)))[p_depth + 2:] as rest
                      from (select e.change -> 0 ->> p_depth as key, jsonb_agg(e.change order by e.n) as changes
                              from jsonb_array_elements(p_changes) with ordinality as e(change, n)
                             group by 1) x) g offset 0) k);
end;
$$;

comment on function flowstate._jsonb_merge(jsonb, jsonb, integer) is
'Internal. Apply flowstate._jsonb_diff changes (in order) to a document in one pass, each changed object rebuilt once; equal to flowstate._jsonb_patch.';

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
-- Generic plans: the merge's statement was planned again on every call (70-140 us), twice for
-- a diff and once per row for retention.
set plan_cache_mode = force_generic_plan
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
  -- Net changes: only the latest change of each path (one sort), in the order they were made,
  -- merged into the snapshot in one pass (flowstate._jsonb_merge drops what a later change of
  -- a parent overwrites), so a key changed a thousand times is applied once and a hundred
  -- keys changed once each rebuild the document once, not a hundred times.
  content := flowstate._jsonb_merge(v_base.snapshot, (
    with c as (
      select e.change, e.ord, a.audit_id, e.change -> 0 as path
        from flowstate.audit_log a, jsonb_array_elements(a.changes) with ordinality as e(change, ord)
       where a.flow_id = p_flow_id and a.new_version > v_base.new_version and a.new_version <= p_version
         and a.changes is not null and a.audit_id > v_base.audit_id and a.generation = p_generation),
    latest as (
      select distinct on (c.path) c.change, c.audit_id, c.ord
        from c order by c.path, c.audit_id desc, c.ord desc)
    select coalesce(jsonb_agg(l.change order by l.audit_id, l.ord), '[]') from latest l));
end;
$$;

comment on function flowstate._content_at(uuid, bigint, bigint) is
'Internal. Rebuild a flow''s audited content at p_version (of generation p_generation; NULL: the current flow''s) from the nearest snapshot and the net changes after it.';
