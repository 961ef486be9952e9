-- The audit trail beyond the flows trigger: events that change no state (checkpoints,
-- archives), the append-only guard, rebuilding past versions, and time partitions.

-- flowstate._audit_checkpoint, flowstate._audit_archive
-- Triggers on flowstate.checkpoints and flowstate.quarantine: one audit row per event, at the
-- flow's current version (the state itself did not change).
create or replace function flowstate._audit_event(p_flow_id uuid, p_operation text, p_version bigint, p_label text)
returns void
language plpgsql
as $$
begin
  insert into flowstate.audit_log (flow_id, generation, operation, old_version, new_version, old_phase, new_phase,
                                   actor_user_id, actor_role, label)
  select p_flow_id, f.generation, p_operation, p_version, p_version, f.current_phase, f.current_phase,
         nullif(current_setting('flowstate.user_id', true), '')::uuid, flowstate._caller_role(), p_label
    from flowstate.flows f where f.flow_id = p_flow_id;
end;
$$;

comment on function flowstate._audit_event(uuid, text, bigint, text) is
'Internal. Records an event that changes no state (checkpoint, archive) in flowstate.audit_log.';

create or replace function flowstate._audit_checkpoint()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform flowstate._audit_event(new.flow_id, 'checkpoint', new.flow_version, new.checkpoint_id::text);
  return null;
end;
$$;

comment on function flowstate._audit_checkpoint() is 'Internal. Trigger: audits a new checkpoint (label: its id).';

create or replace function flowstate._audit_archive()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform flowstate._audit_event(new.flow_id, 'archive', new.flow_version, new.quarantine_id::text);
  return null;
end;
$$;

comment on function flowstate._audit_archive() is 'Internal. Trigger: audits a quarantined document (label: the quarantine id).';

create or replace trigger checkpoints_audit
  after insert on flowstate.checkpoints
  for each row execute function flowstate._audit_checkpoint();
create or replace trigger quarantine_audit
  after insert on flowstate.quarantine
  for each row execute function flowstate._audit_archive();

-- flowstate._append_only
-- Trigger: the audit trail, checkpoints and quarantine are never updated or deleted, not
-- even by their owner. Only flow_audit_retention may rewrite or drop old audit history.
create or replace function flowstate._append_only()
returns trigger
language plpgsql
as $$
begin
  -- Row triggers fire per partition, so the table name may be audit_log_y2026m01 and the like.
  if tg_table_name like 'audit\_log%' and current_setting('flowstate.retention', true) = 'on' then
    return case tg_op when 'DELETE' then old else new end;
  end if;
  raise exception 'flowstate.% is append-only: % is not allowed', tg_table_name, lower(tg_op)
    using errcode = 'insufficient_privilege',
          hint = 'Old audit history is dropped by flowstate.flow_audit_retention(), and only there.';
end;
$$;

comment on function flowstate._append_only() is
'Internal. Trigger: refuses UPDATE, DELETE and TRUNCATE on the append-only tables.';

create or replace trigger audit_log_append_only
  before update or delete on flowstate.audit_log
  for each row execute function flowstate._append_only();
create or replace trigger audit_log_no_truncate
  before truncate on flowstate.audit_log
  for each statement execute function flowstate._append_only();
create or replace trigger checkpoints_append_only
  before update or delete on flowstate.checkpoints
  for each row execute function flowstate._append_only();
create or replace trigger checkpoints_no_truncate
  before truncate on flowstate.checkpoints
  for each statement execute function flowstate._append_only();
create or replace trigger quarantine_append_only
  before update or delete on flowstate.quarantine
  for each row execute function flowstate._append_only();
create or replace trigger quarantine_no_truncate
  before truncate on flowstate.quarantine
  for each statement execute function flowstate._append_only();

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
  v_change jsonb;
begin
  p_generation := coalesce(p_generation, flowstate._generation(p_flow_id));
  select a.logged_at into logged_at
    from flowstate.audit_log a
   where a.flow_id = p_flow_id and a.new_version = p_version and a.operation not in ('checkpoint', 'archive')
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
  content := v_base.snapshot;
  -- Net changes: a change is dropped when a later one sets or deletes the same path or a
  -- parent of it, so a key changed a thousand times is applied once. The latest change of
  -- each path first (one sort), then parents among those few.
  for v_change in
    with c as (
      select e.change, e.ord, a.audit_id,
             array(select jsonb_array_elements_text(e.change -> 0)) as path
        from flowstate.audit_log a, jsonb_array_elements(a.changes) with ordinality as e(change, ord)
       where a.flow_id = p_flow_id and a.new_version > v_base.new_version and a.new_version <= p_version
         and a.changes is not null and a.audit_id > v_base.audit_id and a.generation = p_generation),
    latest as (
      select distinct on (c.path) c.path, c.change, c.audit_id, c.ord
        from c order by c.path, c.audit_id desc, c.ord desc)
    select l.change from latest l
     where not exists (select from latest parent
                        where (parent.audit_id, parent.ord) > (l.audit_id, l.ord)
                          and cardinality(parent.path) < cardinality(l.path)
                          and parent.path = l.path[1:cardinality(parent.path)])
     order by l.audit_id, l.ord
  loop
    if jsonb_array_length(v_change) = 1 then
      content := content #- array(select jsonb_array_elements_text(v_change -> 0));
    else
      content := jsonb_set(content, array(select jsonb_array_elements_text(v_change -> 0)), v_change -> 1, true);
    end if;
  end loop;
end;
$$;

comment on function flowstate._content_at(uuid, bigint, bigint) is
'Internal. Rebuild a flow''s audited content at p_version (of generation p_generation; NULL: the current flow''s) from the nearest snapshot and the net changes after it.';

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
