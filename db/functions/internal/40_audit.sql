-- The audit trail: one flowstate.audit_log row per change of flowstate.flows. The write
-- functions' updates write theirs in the same statement (flowstate._write_flow); a trigger
-- writes it for every other change, whoever makes it.
-- A row stores only what changed (flowstate._jsonb_diff), or a full snapshot once the changes
-- since the last snapshot add up to the state's size (or to audit_snapshot_every records),
-- so storage follows the size of changes and any version rebuilds from bounded work.

-- flowstate._jsonb_diff
-- The changes that turn p_old into p_new, descending only into objects present and changed
-- on both sides: a jsonb array of [path] (delete) and [path, value] (set) entries, paths
-- prefixed with p_path; at each level the sets in key order, then the deletions, then the
-- changes below this level's changed objects, in key order. Only changed objects are visited,
-- one call each, and unchanged subtrees never pass through a recursive CTE's work tables
-- (copying them there made a one-key change of a 100 KB state take 2.3x as long).
-- Values are compared by their bytes first (row(a)::record *= row(b)::record, a memcmp):
-- equal bytes are equal values, without the walk a jsonb = makes (~500 us for an unchanged
-- 100 KB object). Objects whose bytes differ are descended into without that walk: the
-- descent finds what changed, or nothing when only numbers are written differently (1.0 and
-- 1); other values whose bytes differ are compared as jsonb, so 1.0 and 1 stay equal.
-- An object of at most 32 keys (a state's top level: few keys, large values) is walked key by
-- key: jsonb_each over a 100 KB state's top level costs 10 to 20 times its keys and lookups.
-- A wider one is a single scan of both sides side by side (ROWS FROM two jsonb_each): jsonb
-- keeps keys sorted, so the same key set lines up row by row with no lookup per key (half
-- the time of a lookup per key). A key added or deleted puts the rows after it out of line;
-- only those pay for lookups (a key added last costs nothing more; one added first, about
-- what the lookup of every key did), cheaper than a second pass or a join (a hash full join
-- of the two sides alone took longer than the whole lined-up scan).
create or replace function flowstate._jsonb_diff(p_old jsonb, p_new jsonb, p_path text[])
returns jsonb
language plpgsql
immutable
as $$
declare
  v_keys text[];
  v_changes jsonb := '[]';
  v_below jsonb := '[]';
  v_nested text[];
  v_key text;
  v_old jsonb;
  v_new jsonb;
  v_gone jsonb;
begin
  -- A stored value arrives as a TOAST pointer, and each use would fetch and decompress it
  -- again (300 us for a 100 KB state): take it out once. #> '{}' returns its input as is,
  -- detoasted. p_new is in memory on every path that diffs (a value about to be written, a
  -- document flow_diff rebuilt), and copying it anyway cost about a tenth of a one-key diff
  -- of a 100 KB state: only a compressed one is taken out (an uncompressed stored one is read
  -- at each use, as before).
  p_old := p_old #> '{}';
  if pg_column_compression(p_new) is not null then
    p_new := p_new #> '{}';
  end if;
  if not coalesce(jsonb_typeof(p_old) = 'object' and jsonb_typeof(p_new) = 'object', false) then
    return case when p_old is not distinct from p_new then '[]'::jsonb
                when p_new is null then jsonb_build_array(jsonb_build_array(p_path))
                else jsonb_build_array(jsonb_build_array(p_path, p_new)) end;
  end if;
  -- All of p_new's keys when it has at most 32 (in key order), else the first 33.
  v_keys := array(select jsonb_object_keys(p_new) limit 33);
  if cardinality(v_keys) <= 32 then
    foreach v_key in array v_keys loop
      v_old := p_old -> v_key;
      v_new := p_new -> v_key;
      if not row(v_old)::record *= row(v_new)::record then
        if jsonb_typeof(v_old) = 'object' and jsonb_typeof(v_new) = 'object' then
          v_below := v_below || flowstate._jsonb_diff(v_old, v_new, p_path || v_key);
        elsif v_old is distinct from v_new then
          v_changes := v_changes || jsonb_build_array(jsonb_build_array(p_path || v_key, v_new));
        end if;
      end if;
    end loop;
    v_gone := p_old - v_keys;  -- the keys p_new lacks, in key order
    if v_gone <> '{}' then
      v_changes := v_changes || (select jsonb_agg(jsonb_build_array(p_path || k.key)) from jsonb_object_keys(v_gone) k(key));
    end if;
    return v_changes || v_below;
  end if;
  -- A row whose two keys differ is out of line (keys were added or deleted before it): its
  -- new key's old value is looked up, and its old key is deleted if p_new lacks it. Each
  -- subquery level computes its values once per row (the lookup and the byte comparison).
  select coalesce(jsonb_agg(jsonb_build_array(p_path || c.new_key, c.new)) filter (where c.changed and not c.nested and c.new is distinct from c.old), '[]'::jsonb)
         || coalesce(jsonb_agg(jsonb_build_array(p_path || c.old_key)) filter (where c.gone), '[]'::jsonb),
         array_agg(c.new_key) filter (where c.nested)
    into v_changes, v_nested
    from (select c.*, c.changed and coalesce(jsonb_typeof(c.old) = 'object' and jsonb_typeof(c.new) = 'object', false) as nested
            from (select c.*, c.new_key is not null and (c.in_line or not row(c.new)::record *= row(c.old)::record) as changed
                    from (select z.new_key, z.new, z.old_key, z.new_key is not distinct from z.old_key as in_line,
                                 case when z.new_key = z.old_key then z.old else p_old -> z.new_key end as old,
                                 z.old_key is not null and z.new_key is distinct from z.old_key and not p_new ? z.old_key as gone
                            from rows from (jsonb_each(p_new), jsonb_each(p_old)) z(new_key, new, old_key, old)
                           where z.new_key is distinct from z.old_key or not row(z.new)::record *= row(z.old)::record
                          offset 0) c
                  offset 0) c) c;
  foreach v_key in array coalesce(v_nested, '{}') loop
    v_changes := v_changes || flowstate._jsonb_diff(p_old -> v_key, p_new -> v_key, p_path || v_key);
  end loop;
  return v_changes;
end;
$$;

comment on function flowstate._jsonb_diff(jsonb, jsonb, text[]) is
'Internal. Changes from p_old to p_new as [[path], ...] deletions and [[path], value] sets, descending only into changed objects.';

-- flowstate._jsonb_patch
-- Apply changes made by flowstate._jsonb_diff.
create or replace function flowstate._jsonb_patch(p_doc jsonb, p_changes jsonb)
returns jsonb
language plpgsql
immutable
as $$
declare
  v_change jsonb;
begin
  for v_change in select jsonb_array_elements(p_changes) loop
    if jsonb_array_length(v_change) = 1 then
      p_doc := p_doc #- array(select jsonb_array_elements_text(v_change -> 0));
    else
      p_doc := jsonb_set(p_doc, array(select jsonb_array_elements_text(v_change -> 0)), v_change -> 1, true);
    end if;
  end loop;
  return p_doc;
end;
$$;

comment on function flowstate._jsonb_patch(jsonb, jsonb) is 'Internal. Apply flowstate._jsonb_diff changes to a document.';

-- flowstate._audit_content
-- The audited content of a flow: its document without what the audit row itself records
-- (flow_version, updated_at) and without checkpoints (kept in their own table). SQL, so that
-- it is inlined into the trigger's INSERT; built directly rather than as flowstate._document
-- minus keys, which would copy state_data again. The flow_state_at tests rebuild the current
-- version and compare it with the loaded document, so the two cannot drift apart unseen.
create or replace function flowstate._audit_content(p_flow flowstate.flows)
returns jsonb
language sql
stable
as $$
  select jsonb_build_object(
           'flow_id', p_flow.flow_id,
           'flow_type', p_flow.flow_type,
           'current_phase', p_flow.current_phase,
           'phases_completed', to_jsonb(p_flow.phases_completed),
           'status', p_flow.status,
           'created_at', flowstate._iso(p_flow.created_at),
           'metadata', p_flow.metadata || jsonb_build_object(
             'client_account_id', p_flow.client_account_id,
             'engagement_id', p_flow.engagement_id,
             'user_id', p_flow.user_id),
           'state_data', p_flow.state_data)
         -- jsonb || returns the other side as is when one side is empty: no second walk.
         || case when p_flow.failed_phase is null then '{}'::jsonb
                 else jsonb_build_object('failed_phase', p_flow.failed_phase) end
         || flowstate._lineage(p_flow)
$$;

comment on function flowstate._audit_content(flowstate.flows) is 'Internal. A flow''s document as the audit trail stores it.';

-- flowstate._audit_diff
-- flowstate._audit_changes for a state of at least audit_diff_min_bytes: the state_data diff
-- and the changed header fields, or NULL once the records since the last snapshot add up to
-- the state's size (or to audit_snapshot_every records): a snapshot then bounds the rebuild.
create or replace function flowstate._audit_diff(p_old flowstate.flows, p_new flowstate.flows)
returns jsonb
language plpgsql
stable
as $$
declare
  v_size constant bigint := pg_column_size(p_new.state_data);
  v_changes jsonb;
begin
  v_changes := flowstate._jsonb_diff(p_old.state_data, p_new.state_data, '{state_data}');
  if p_old.current_phase is distinct from p_new.current_phase then
    v_changes := v_changes || jsonb_build_array(jsonb_build_array('{current_phase}'::text[], p_new.current_phase));
  end if;
  if p_old.phases_completed is distinct from p_new.phases_completed then
    v_changes := v_changes || jsonb_build_array(jsonb_build_array('{phases_completed}'::text[], to_jsonb(p_new.phases_completed)));
  end if;
  if p_old.status is distinct from p_new.status then
    v_changes := v_changes || jsonb_build_array(jsonb_build_array('{status}'::text[], p_new.status));
  end if;
  if p_old.failed_phase is distinct from p_new.failed_phase then
    v_changes := v_changes || jsonb_build_array(case when p_new.failed_phase is null then jsonb_build_array('{failed_phase}'::text[])
                                                     else jsonb_build_array('{failed_phase}'::text[], p_new.failed_phase) end);
  end if;
  if (p_old.metadata, p_old.client_account_id, p_old.engagement_id, p_old.user_id, p_old.flow_type, p_old.created_at)
     is distinct from (p_new.metadata, p_new.client_account_id, p_new.engagement_id, p_new.user_id, p_new.flow_type, p_new.created_at) then
    -- Rare (DBA edits): record the whole header rather than field by field.
    v_changes := v_changes || (select jsonb_agg(jsonb_build_array(array[key], value))
                                 from jsonb_each(flowstate._document(p_new, false) - '{flow_version,updated_at,checkpoints}'::text[]));
  end if;
  if p_old.history_bytes + pg_column_size(v_changes) < v_size
     and p_old.history_changes + 1 < (flowstate._settings() ->> 'audit_snapshot_every')::bigint then
    return v_changes;
  end if;
  return null;
end;
$$;

comment on function flowstate._audit_diff(flowstate.flows, flowstate.flows) is
'Internal. flowstate._audit_changes for a state of at least audit_diff_min_bytes: the change record of an update from p_old to p_new, or NULL when a full snapshot is due.';

-- flowstate._audit_changes
-- The change record of an update from p_old to p_new (flowstate._audit_diff), or NULL when a
-- full snapshot is due instead: below audit_diff_min_bytes a copy is cheaper to write than a
-- diff is to compute. One function for the trigger and the write functions' own audit rows,
-- so both write the same records. SQL, inlined into its callers: a small state (the common
-- 1 KB save) pays for no PL/pgSQL call with two rows to unpack.
create or replace function flowstate._audit_changes(p_old flowstate.flows, p_new flowstate.flows)
returns jsonb
language sql
stable
as $$
  select case when pg_column_size(p_new.state_data) < (flowstate._settings() ->> 'audit_diff_min_bytes')::bigint then null
              else flowstate._audit_diff(p_old, p_new) end
$$;

comment on function flowstate._audit_changes(flowstate.flows, flowstate.flows) is
'Internal. The audit change record of an update from p_old to p_new (state_data diff and changed header fields), or NULL when a full snapshot is due.';

-- flowstate._audit_flow_change
-- Trigger on flowstate.flows: record every insert, update and delete, whoever makes it.
-- The flow_* functions say what operation this is and for whom (transaction-local settings).
-- Only writes made as flowstate_owner come from them (trigger argument 'function'); any
-- session can set those settings, so every other write (argument 'direct': a DBA's INSERT,
-- UPDATE or DELETE) ignores them and is recorded as admin_insert, admin_update or
-- admin_delete by the calling role, with no application user and no label.
create or replace function flowstate._audit_flow_change()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_direct constant boolean := tg_argv[0] is distinct from 'function';
  v_operation text := case when not v_direct then nullif(current_setting('flowstate.operation', true), '') end;
  v_user uuid;
  v_label text;
  v_changes jsonb;
begin
  -- A flow's life is the database's: an update keeps it (an insert gets a new one, below).
  if tg_op = 'UPDATE' then
    new.generation := old.generation;
    -- This trigger sees every update but flowstate._write_flow's, which count themselves:
    -- the tallies count the others here, checkpoints included.
    perform flowstate._tally_write(old, new);
  end if;
  if v_operation = 'checkpoint' then
    -- flow_create_checkpoint appending to the checkpoints list: not a new version, and only
    -- if nothing but that list changed.
    if (new.flow_type, new.client_account_id, new.engagement_id, new.user_id, new.flow_version,
        new.current_phase, new.phases_completed, new.status, new.failed_phase, new.metadata,
        new.last_label, new.external_id, new.created_at, new.updated_at)
       is not distinct from
       (old.flow_type, old.client_account_id, old.engagement_id, old.user_id, old.flow_version,
        old.current_phase, old.phases_completed, old.status, old.failed_phase, old.metadata,
        old.last_label, old.external_id, old.created_at, old.updated_at) then
      if new.state_data is not distinct from old.state_data then
        return new;
      end if;
    end if;
    v_operation := null;  -- anything more is a direct edit, audited as one
  end if;
  if v_operation is not null then
    v_user := nullif(current_setting('flowstate.user_id', true), '')::uuid;
    -- A function inserting many flows at once (a legacy import batch) leaves the label to each row.
    v_label := coalesce(nullif(current_setting('flowstate.label', true), ''), case when tg_op = 'INSERT' then new.last_label end);
  end if;
  if tg_op = 'INSERT' and not v_direct and current_setting('flowstate.all_tenants', true) is distinct from 'on'
     and (new.client_account_id, new.engagement_id)
         is distinct from (nullif(current_setting('flowstate.client_account_id', true), '')::uuid,
                           nullif(current_setting('flowstate.engagement_id', true), '')::uuid) then
    -- A function creating a flow outside the published tenant: the context was refused
    -- (flowstate.role_tenants), which reads as a foreign flow (row-level security would
    -- refuse the row too, with a less useful error).
    raise exception 'flow % not found', new.flow_id
      using errcode = 'FS004', detail = jsonb_build_object('flow_id', new.flow_id)::text;
  end if;
  -- Versions and timestamps are the database's, whoever writes: a DBA's direct UPDATE is a
  -- change like any other, so a save based on the version before it is refused (FS002).
  if tg_op = 'INSERT' then
    -- A new flow, even under the id of a deleted one (or as a DBA's copy of its row): a life
    -- of its own, with none of the old one's records and no checkpoints yet.
    new.generation := nextval('flowstate.flow_generation');
    new.checkpoints := '[]';
    new.flow_version := 1;
    new.created_at := now();
    new.updated_at := now();
  elsif tg_op = 'UPDATE' then
    new.flow_version := old.flow_version + 1;
    new.created_at := old.created_at;
    new.updated_at := now();
  end if;
  v_operation := coalesce(v_operation, case tg_op when 'INSERT' then case when v_direct then 'admin_insert' else 'create' end
                                                  when 'UPDATE' then 'admin_update'
                                                  else 'admin_delete' end);

  if tg_op = 'DELETE' then
    -- An erasure (flow_delete, retention) records the delete in the tombstone it wrote first,
    -- in this transaction, and removes the flow's history: no audit row to write and remove.
    if flowstate._erasing(old.flow_id) then
      return old;
    end if;
    -- new_version: the version that was deleted (kept whole in the snapshot).
    insert into flowstate.audit_log (flow_id, generation, operation, old_version, new_version, old_phase, actor_user_id, actor_role,
                                     snapshot)
    values (old.flow_id, old.generation, v_operation, old.flow_version, old.flow_version, old.current_phase, v_user,
            flowstate._caller_role(), flowstate._audit_content(old));
    return old;
  end if;

  if tg_op = 'UPDATE' then
    v_changes := flowstate._audit_changes(old, new);
    if v_changes is not null then
      new.history_bytes := old.history_bytes + pg_column_size(v_changes);
      new.history_changes := old.history_changes + 1;
      insert into flowstate.audit_log (flow_id, generation, operation, old_version, new_version, old_phase, new_phase,
                                       actor_user_id, actor_role, label, changes)
      values (new.flow_id, new.generation, v_operation, old.flow_version, new.flow_version, old.current_phase, new.current_phase,
              v_user, flowstate._caller_role(), v_label, v_changes);
      return new;
    end if;
  end if;

  -- An insert, or enough change since the last snapshot: store the whole content.
  new.history_bytes := 0;
  new.history_changes := 0;
  insert into flowstate.audit_log (flow_id, generation, operation, old_version, new_version, old_phase, new_phase,
                                   actor_user_id, actor_role, label, snapshot)
  values (new.flow_id, new.generation, v_operation, case when tg_op = 'UPDATE' then old.flow_version end, new.flow_version,
          case when tg_op = 'UPDATE' then old.current_phase end, new.current_phase,
          v_user, flowstate._caller_role(), v_label,
          flowstate._audit_content(new));
  return new;
end;
$$;

comment on function flowstate._audit_flow_change() is
'Internal. Trigger: writes one flowstate.audit_log row per change of flowstate.flows (changes only, or a full snapshot when due); argument ''direct'' (any writer but flowstate_owner) ignores the session''s settings and records admin_insert, admin_update or admin_delete.';

-- flowstate._audit_flow_change_as_owner
-- The same trigger body, for writes made as flowstate_owner, which every flow_* function runs
-- as: that role may write audit rows itself and its functions pin search_path already, so
-- this copy is not SECURITY DEFINER and does not pay for pinning it again (about a tenth of
-- a 1 KB save). Everyone else (a DBA's direct edit) gets the SECURITY DEFINER original.
do $$
begin
  execute format('create or replace function flowstate._audit_flow_change_as_owner() returns trigger language plpgsql as %L',
                 (select p.prosrc from pg_catalog.pg_proc p where p.oid = 'flowstate._audit_flow_change()'::regprocedure));
end;
$$;

comment on function flowstate._audit_flow_change_as_owner() is
'Internal. Trigger: flowstate._audit_flow_change for writes made as flowstate_owner (the flow_* functions); same body, not SECURITY DEFINER.';

-- flowstate._write_flow
-- The write functions' update of a flow, its audit row and its activity count, in one statement
-- (then its move between flow tallies, if its phase or status changed): p_new (the row to
-- store; version, updated_at and the history counters are set here) replaces p_old, provided
-- the stored version is still p_old's. The audit row says p_operation, p_user and p_label from
-- the caller's arguments, never from session settings. With p_request_id, the same statement
-- remembers the written document (without state_data) under it for p_request_function
-- (flowstate.request_ids), for a caller that did not claim the id first
-- (flowstate._write_state's fast path); an entry of an earlier generation is taken over.
-- Returns the stored document without state_data (built once, in the statement), or NULL
-- when the flow changed since p_old was read (nothing was written).
-- Raises FS001 when this generation's entry for the request id appeared meanwhile (a call
-- with the same id that did not change the flow: the id names another call).
drop function if exists flowstate._write_flow(flowstate.flows, flowstate.flows, text, uuid, text);
do $$
begin
  -- It returned the stored row until its callers needed only its document.
  if (select p.prorettype from pg_catalog.pg_proc p
       where p.oid = to_regprocedure('flowstate._write_flow(flowstate.flows, flowstate.flows, text, uuid, text, uuid, text)'))
     <> 'jsonb'::regtype then
    drop function flowstate._write_flow(flowstate.flows, flowstate.flows, text, uuid, text, uuid, text);
  end if;
end;
$$;
create or replace function flowstate._write_flow(
  p_old flowstate.flows, p_new flowstate.flows, p_operation text, p_user uuid, p_label text,
  p_request_id uuid default null, p_request_function text default null
)
returns jsonb
language plpgsql
as $$
declare
  v_changes constant jsonb := flowstate._audit_changes(p_old, p_new);
  v_written record;
begin
  -- Raising the version here is what tells the audit trigger this write audits itself.
  with written as (
    update flowstate.flows f
       set flow_version = p_old.flow_version + 1,
           current_phase = p_new.current_phase,
           phases_completed = p_new.phases_completed,
           status = p_new.status,
           failed_phase = p_new.failed_phase,
           state_data = p_new.state_data,
           metadata = p_new.metadata,
           last_label = p_new.last_label,
           external_id = p_new.external_id,
           updated_at = now(),
           history_bytes = case when v_changes is null then 0 else p_old.history_bytes + pg_column_size(v_changes) end,
           history_changes = case when v_changes is null then 0 else p_old.history_changes + 1 end
     where f.flow_id = p_old.flow_id and f.flow_version = p_old.flow_version
    returning f.*),
  audited as (
    insert into flowstate.audit_log (flow_id, generation, operation, old_version, new_version, old_phase, new_phase,
                                     actor_user_id, actor_role, label, changes, snapshot)
    select w.flow_id, w.generation, p_operation, p_old.flow_version, w.flow_version, p_old.current_phase, w.current_phase,
           p_user, flowstate._caller_role(), nullif(p_label, ''), v_changes,
           case when v_changes is null then flowstate._audit_content(p_new) end
      from written w),
  -- The document is built once, for the caller and for the request id.
  documented as (
    select w.flow_id, w.generation, flowstate._document(w::flowstate.flows, false) as document
      from written w),
  remembered as (
    insert into flowstate.request_ids as r (flow_id, request_id, operation, generation, result)
    select d.flow_id, p_request_id, p_request_function, d.generation, d.document
      from documented d
     where p_request_id is not null
    on conflict (flow_id, request_id) do update
      set operation = excluded.operation, generation = excluded.generation, result = excluded.result, created_at = now()
      where r.generation is distinct from excluded.generation
    returning 1),
  -- The write's count in its tenant's activity, as flowstate._tally_write adds it for
  -- every other update (no trigger does for this one).
  counted as (
    insert into flowstate.activity_tallies as t (client_account_id, engagement_id, hour, slot, writes)
    select w.client_account_id, w.engagement_id, flowstate._tally_hour(), flowstate._tally_slot(), 1
      from written w
    on conflict (client_account_id, engagement_id, hour, slot) do update set writes = t.writes + 1)
  select d.document, p_request_id is null or exists (select from remembered) as remembered
    into v_written
    from documented d;
  if v_written.document is not null and not v_written.remembered then
    raise exception 'request id % was already used for flow %', p_request_id, p_old.flow_id
      using errcode = 'FS001', detail = jsonb_build_object('flow_id', p_old.flow_id, 'request_id', p_request_id,
        'errors', jsonb_build_array(format('Request id %s was already used by another call for this flow; a request id names one call.',
                                           p_request_id)))::text;
  end if;
  -- Tenant and type are not written here, and p_old's phase and status are the stored ones
  -- (every write that changes them raises the version).
  if v_written.document is not null
     and (p_new.current_phase, p_new.status) is distinct from (p_old.current_phase, p_old.status) then
    perform flowstate._tally_move(p_old, p_new);
  end if;
  return v_written.document;
end;
$$;

comment on function flowstate._write_flow(flowstate.flows, flowstate.flows, text, uuid, text, uuid, text) is
'Internal. Update a flow from p_old to p_new and write its audit row (p_operation by p_user, label p_label) and activity count in one statement, remembering the result under p_request_id if given; returns the stored document without state_data, or NULL when the stored version is no longer p_old''s. Errors: FS001 (the request id was used by another call).';

-- Which trigger fires says who writes: only flowstate_owner (the flow_* functions, which
-- run as it; no login is a member) may speak through the settings. Its updates that raise
-- the version themselves come from flowstate._write_flow, which writes its own audit row in
-- the same statement; every other update of the owner's leaves the version to the trigger,
-- and every write of anyone else is audited as a direct one, whatever it sets.
create or replace trigger flows_audit
  before insert or update or delete on flowstate.flows
  for each row when (current_user <> 'flowstate_owner') execute function flowstate._audit_flow_change('direct');
create or replace trigger flows_audit_as_owner
  before insert or delete on flowstate.flows
  for each row when (current_user = 'flowstate_owner') execute function flowstate._audit_flow_change_as_owner('function');
create or replace trigger flows_audit_update_as_owner
  before update on flowstate.flows
  for each row when (current_user = 'flowstate_owner' and new.flow_version = old.flow_version)
  execute function flowstate._audit_flow_change_as_owner('function');
