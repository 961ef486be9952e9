-- Helpers of the lifecycle functions (flow_search, flow_fork, flow_delete, flow_erase_tenant,
-- flow_retention_run): erasure with its tombstone, compaction, the guards that keep an erased
-- id erased, and the SQL a search runs.
--
-- Erasure stays append-only: content leaves the history tables (audit_log, checkpoints,
-- quarantine, legacy_rows) only in the transaction that wrote the flow's tombstone in
-- flowstate.erasures (flowstate._append_only asks flowstate._erasing). The tombstone's
-- transaction id is set by a trigger, not by the writer, so no setting or forged column makes
-- an old tombstone, or none, count; and tombstones themselves are never updated or deleted.

-- flowstate._erasing
-- Whether this transaction wrote a tombstone for p_flow_id: then, and only then, its history
-- rows may be deleted.
create or replace function flowstate._erasing(p_flow_id uuid)
returns boolean
language sql
stable
as $$
  select exists (select from flowstate.erasures e
                  where e.flow_id = p_flow_id and e.erased_tx = pg_catalog.pg_current_xact_id())
$$;

comment on function flowstate._erasing(uuid) is
'Internal. Whether the current transaction wrote a tombstone (flowstate.erasures) for the flow: the append-only guards let its rows be deleted then only.';

-- flowstate._stamp_erasure
-- Trigger on flowstate.erasures: the transaction, the time and the calling role are the
-- database's, whatever the writer sent.
create or replace function flowstate._stamp_erasure()
returns trigger
language plpgsql
as $$
begin
  new.erased_tx := pg_catalog.pg_current_xact_id();
  new.erased_at := now();
  new.erased_by_role := flowstate._caller_role();
  return new;
end;
$$;

comment on function flowstate._stamp_erasure() is
'Internal. Trigger: sets a tombstone''s transaction, time and role (flowstate.erasures), whatever was sent.';

create or replace trigger erasures_stamp
  before insert on flowstate.erasures
  for each row execute function flowstate._stamp_erasure();
-- flowstate._erasure_final
-- Trigger on flowstate.erasures: a tombstone is never deleted, nor updated once its
-- transaction is over; the transaction that writes it may only fill in its row counts (an
-- erasure counts the rows as they go, after the tombstone that lets them go).
create or replace function flowstate._erasure_final()
returns trigger
language plpgsql
as $$
begin
  if tg_op = 'UPDATE' and old.erased_tx = pg_catalog.pg_current_xact_id()
     and to_jsonb(new) - 'row_counts' = to_jsonb(old) - 'row_counts' then
    return new;
  end if;
  raise exception 'flowstate.erasures is append-only: % is not allowed', lower(tg_op)
    using errcode = 'insufficient_privilege', hint = 'Tombstones are kept for good.';
end;
$$;

comment on function flowstate._erasure_final() is
'Internal. Trigger: refuses DELETE on flowstate.erasures, and UPDATE but of the row counts by the transaction that wrote the tombstone.';

-- Tombstones are final, and legacy rows join the other history tables.
create or replace trigger erasures_append_only
  before update or delete on flowstate.erasures
  for each row execute function flowstate._erasure_final();
create or replace trigger erasures_no_truncate
  before truncate on flowstate.erasures
  for each statement execute function flowstate._append_only();
create or replace trigger legacy_rows_append_only
  before update or delete on flowstate.legacy_rows
  for each row execute function flowstate._append_only();
create or replace trigger legacy_rows_no_truncate
  before truncate on flowstate.legacy_rows
  for each statement execute function flowstate._append_only();

-- flowstate._refuse_erased
-- FS008 if p_flow_id is the id of a deleted flow: such an id is never used again.
create or replace function flowstate._refuse_erased(p_flow_id uuid)
returns void
language plpgsql
stable
as $$
declare
  v_erased_at timestamptz;
begin
  select e.erased_at into v_erased_at
    from flowstate.erasures e
   where e.flow_id = p_flow_id and e.action = 'delete'
   order by e.erasure_id desc
   limit 1;
  if v_erased_at is not null then
    raise exception 'flow % was erased; its id cannot be used again', p_flow_id
      using errcode = 'FS008', detail = jsonb_build_object('flow_id', p_flow_id, 'erased_at', flowstate._iso(v_erased_at))::text,
            hint = 'Start a new flow under a new id.';
  end if;
end;
$$;

comment on function flowstate._refuse_erased(uuid) is
'Internal. Raises FS008 when p_flow_id is the id of a deleted flow (flowstate.erasures).';

-- flowstate._refuse_erased_id
-- Trigger on flowstate.flows and flowstate.legacy_rows: a deleted flow's id is never used
-- again, whoever writes (a late CrewAI step, an import, a fork, a DBA's INSERT): FS008.
-- SECURITY DEFINER: a DBA's INSERT runs it too, and DBAs may not call internal functions.
create or replace function flowstate._refuse_erased_id()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform flowstate._refuse_erased(new.flow_id);
  return new;
end;
$$;

comment on function flowstate._refuse_erased_id() is
'Internal. Trigger: refuses (FS008) to create a flow, or store legacy rows, under the id of a deleted flow.';

create or replace trigger flows_erased_ids_stay_erased
  before insert on flowstate.flows
  for each row execute function flowstate._refuse_erased_id();
-- Legacy rows come many per flow; their one writer as flowstate_owner, flowstate.flow_import_legacy,
-- checks the flow id once per call instead (current_user cannot be forged by a session).
create or replace trigger legacy_rows_erased_ids_stay_erased
  before insert on flowstate.legacy_rows
  for each row when (current_user <> 'flowstate_owner') execute function flowstate._refuse_erased_id();

-- flowstate._flow_tables
-- Every table that holds rows of a flow (a flow_id column), flows last: what an erasure
-- empties. Read from the catalog, so a table added later is erased too. Not the erasure log.
create or replace function flowstate._flow_tables()
returns setof regclass
language sql
stable
as $$
  select c.oid::regclass
    from pg_catalog.pg_class c
   where c.relnamespace = 'flowstate'::regnamespace and c.relkind in ('r', 'p') and not c.relispartition
     and c.relname <> 'erasures'
     and exists (select from pg_catalog.pg_attribute a
                  where a.attrelid = c.oid and a.attname = 'flow_id' and not a.attisdropped)
   order by c.relname = 'flows', c.relname
$$;

comment on function flowstate._flow_tables() is
'Internal. The tables holding rows of a flow (every flowstate table with a flow_id column but the erasure log), flows last.';

-- flowstate._reason_errors
-- The problems with an erasure's reason (required, at most max_reason_chars).
create or replace function flowstate._reason_errors(p_reason text)
returns text[]
language sql
stable
as $$
  select case
    when p_reason is null or btrim(p_reason) = '' then array['p_reason is required: say why the flow is erased.']
    when length(p_reason) > (flowstate._settings() ->> 'max_reason_chars')::bigint
      then array[format('p_reason is %s characters; the limit is %s (flowstate.settings max_reason_chars).',
                        length(p_reason), flowstate._settings() ->> 'max_reason_chars')]
    else '{}'::text[] end
$$;

comment on function flowstate._reason_errors(text) is
'Internal. Problems with an erasure reason: missing, blank or longer than max_reason_chars.';

-- flowstate._tombstone
-- A tombstone as the lifecycle functions return it.
create or replace function flowstate._tombstone(p_erasure flowstate.erasures)
returns jsonb
language sql
stable
as $$
  select jsonb_build_object(
    'erasure_id', p_erasure.erasure_id,
    'flow_id', p_erasure.flow_id,
    'action', p_erasure.action,
    'client_account_id', p_erasure.client_account_id,
    'engagement_id', p_erasure.engagement_id,
    'flow_version', p_erasure.flow_version,
    'erased_by', jsonb_build_object('user_id', p_erasure.erased_by_user, 'role', p_erasure.erased_by_role),
    'erased_at', flowstate._iso(p_erasure.erased_at),
    'reason', p_erasure.reason,
    'rows', p_erasure.row_counts)
  || case when p_erasure.action = 'compact'
          then jsonb_build_object('kept_from_version', p_erasure.kept_from_version) else '{}'::jsonb end
$$;

comment on function flowstate._tombstone(flowstate.erasures) is
'Internal. A tombstone (flowstate.erasures row) as JSON: flow, tenant, who, when, why, rows removed per table.';

-- flowstate._row_totals
-- The rows removed per table, summed over tombstones.
create or replace function flowstate._row_totals(p_erasures flowstate.erasures[])
returns jsonb
language sql
stable
as $$
  select coalesce(jsonb_object_agg(t.kind, t.total), '{}'::jsonb)
    from (select c.key as kind, sum(c.value::bigint) as total
            from unnest(p_erasures) e, jsonb_each_text(e.row_counts) c
           group by c.key) t
$$;

comment on function flowstate._row_totals(flowstate.erasures[]) is 'Internal. Rows removed per table, summed over tombstones.';

-- flowstate._erase_flows
-- Erase flows (locked by the caller) and all their content: their tombstones first, then every
-- row of every flowstate._flow_tables() table (flows last, so rows that would go with it by
-- cascade are counted), then the tombstones get the rows removed per table. A flow with no flows
-- row (leftovers of a DBA's direct DELETE) gets a tombstone without a tenant. (The audit trigger
-- writes no admin_delete row for a flow with a tombstone of this transaction.) Returns the
-- tombstones.
create or replace function flowstate._erase_flows(p_flow_ids uuid[], p_reason text)
returns setof flowstate.erasures
language plpgsql
as $$
declare
  v_table regclass;
  v_removed jsonb := '{}';  -- {table: {flow_id: rows}}
  v_table_removed jsonb;
  v_published text;  -- set_config() results, unused
begin
  insert into flowstate.erasures (flow_id, action, client_account_id, engagement_id, flow_version,
                                  erased_by_user, erased_by_role, reason, row_counts)
  select i.id, 'delete', f.client_account_id, f.engagement_id, f.flow_version,
         nullif(current_setting('flowstate.user_id', true), '')::uuid, '', p_reason, '{}'
    from (select distinct unnest(p_flow_ids) as id) i
    left join flowstate.flows f on f.flow_id = i.id;

  v_published := set_config('flowstate.operation', '', true) || set_config('flowstate.label', '', true);
  for v_table in select flowstate._flow_tables() loop
    execute format('with gone as (delete from %s t where t.flow_id = any($1) returning t.flow_id)
                    select jsonb_build_object(%L, coalesce(jsonb_object_agg(g.flow_id, g.n), ''{}''))
                      from (select gone.flow_id, count(*) as n from gone group by gone.flow_id) g',
                   v_table, (select c.relname from pg_catalog.pg_class c where c.oid = v_table))
      into strict v_table_removed using p_flow_ids;
    v_removed := v_removed || v_table_removed;
  end loop;
  -- (Counted as they went: counting first cost as much again as the deletes.)
  return query
    update flowstate.erasures e
       set row_counts = (select jsonb_object_agg(k.kind, coalesce((k.rows ->> e.flow_id::text)::bigint, 0))
                           from jsonb_each(v_removed) k(kind, rows))
     where e.flow_id = any(p_flow_ids) and e.erased_tx = pg_catalog.pg_current_xact_id() and e.action = 'delete'
    returning e.*;
end;
$$;

comment on function flowstate._erase_flows(uuid[], text) is
'Internal. Erase flows and every row of theirs in every flowstate table, after writing one tombstone each, which then gets the rows removed per table. Returns the tombstones.';

-- flowstate._compact_flows
-- Compact flows (locked by the caller): keep the current state, the newest audit snapshot
-- and the change records after it (so every version from that snapshot on still rebuilds, at
-- most about a state's worth), drop every older audit row, every event row (checkpoint,
-- archive, forked, compact), the checkpoints and the quarantined documents. A tombstone per
-- flow says what went; an audit event 'compact' marks it in the history; the version does not
-- change. Returns the tombstones.
create or replace function flowstate._compact_flows(p_flow_ids uuid[], p_reason text)
returns setof flowstate.erasures
language plpgsql
as $$
declare
  v_ids uuid[];
  v_keep_from bigint[];
  v_removed jsonb;
  v_tombstones flowstate.erasures[];
  v_published text;  -- set_config() results, unused
begin
  -- The base of the kept history: the newest snapshot by audit_id (an earlier flow under the
  -- same id, deleted by a DBA, never counts: its rows are older).
  select array_agg(k.flow_id), array_agg(k.keep_from) into v_ids, v_keep_from
    from (select f.flow_id,
                 (select a.audit_id from flowstate.audit_log a
                   where a.flow_id = f.flow_id and a.snapshot is not null and a.operation <> 'admin_delete'
                   order by a.audit_id desc limit 1) as keep_from
            from flowstate.flows f where f.flow_id = any(p_flow_ids)) k;

  insert into flowstate.erasures (flow_id, action, client_account_id, engagement_id, flow_version, kept_from_version,
                                  erased_by_user, erased_by_role, reason, row_counts)
  select f.flow_id, 'compact', f.client_account_id, f.engagement_id, f.flow_version,
         (select a.new_version from flowstate.audit_log a where a.flow_id = k.flow_id and a.audit_id = k.keep_from),
         nullif(current_setting('flowstate.user_id', true), '')::uuid, '', p_reason, '{}'
    from unnest(v_ids, v_keep_from) k(flow_id, keep_from)
    join flowstate.flows f on f.flow_id = k.flow_id;

  with audit as (
         delete from flowstate.audit_log a
          using unnest(v_ids, v_keep_from) k(flow_id, keep_from)
          where a.flow_id = k.flow_id
            and (k.keep_from is null or a.audit_id < k.keep_from or (a.snapshot is null and a.changes is null))
         returning a.flow_id, 'audit_log' as kind),
       checkpoints as (delete from flowstate.checkpoints c where c.flow_id = any(v_ids) returning c.flow_id, 'checkpoints' as kind),
       quarantine as (delete from flowstate.quarantine q where q.flow_id = any(v_ids) returning q.flow_id, 'quarantine' as kind),
       gone as (select * from audit union all select * from checkpoints union all select * from quarantine)
  select coalesce(jsonb_object_agg(g.flow_id, g.rows), '{}') into v_removed
    from (select gone.flow_id, jsonb_object_agg(gone.kind, gone.n) as rows
            from (select gone.flow_id, gone.kind, count(*) as n from gone group by 1, 2) gone group by 1) g;
  -- The document's checkpoints list goes with them. The state does not change, so this is no
  -- new version: the audit trigger lets a change of nothing but that list pass as 'checkpoint'.
  v_published := set_config('flowstate.operation', 'checkpoint', true);
  update flowstate.flows f set checkpoints = '[]', compacted_version = f.flow_version where f.flow_id = any(v_ids);
  v_published := set_config('flowstate.operation', '', true);

  with counted as (
    update flowstate.erasures e
       set row_counts = '{"audit_log": 0, "checkpoints": 0, "quarantine": 0}'::jsonb || coalesce(v_removed -> e.flow_id::text, '{}')
     where e.flow_id = any(v_ids) and e.erased_tx = pg_catalog.pg_current_xact_id() and e.action = 'compact'
    returning e.*)
  select array_agg(c) into v_tombstones from counted c;
  perform flowstate._audit_event(t.flow_id, 'compact', t.flow_version,
                                 format('history before version %s dropped', t.kept_from_version))
     from unnest(v_tombstones) t;
  return query select * from unnest(v_tombstones);
end;
$$;

comment on function flowstate._compact_flows(uuid[], text) is
'Internal. Compact flows: keep the state, the newest audit snapshot and the changes after it; drop older audit rows, event rows, checkpoints and quarantine, after writing one tombstone each. Returns the tombstones.';

-- flowstate._search_cursor
-- The opaque keyset cursor of a search row: its position in the order (updated_at, flow_id).
create or replace function flowstate._search_cursor(p_updated_at timestamptz, p_flow_id uuid)
returns text
language sql
immutable
as $$
  select encode(convert_to(format('%s/%s', (extract(epoch from p_updated_at) * 1000000)::bigint, p_flow_id), 'UTF8'), 'base64')
$$;

comment on function flowstate._search_cursor(timestamptz, uuid) is
'Internal. The cursor flow_search returns after a page: the position of its last flow (updated_at, flow_id), opaque.';

-- flowstate._search_sql
-- The query flow_search runs for a filter, a cursor and a page size: the flows (without
-- state_data, which a page never shows and which would otherwise be read and decompressed),
-- newest update first, one more than the page to tell whether another follows. Values are
-- literals, so each search is planned for its own filter (the right index, not a generic
-- plan). Tenant callers get their tenant's columns as conditions (the tenant index serves
-- them; row-level security still applies). Raises FS001 listing every problem.
create or replace function flowstate._search_sql(p_filter jsonb, p_after text, p_limit integer)
returns text
language plpgsql
stable
as $$
declare
  v_errors text[] := '{}';
  v_where text := '';
  v_key text;
  v_value jsonb;
  v_id_key text;
  v_at timestamptz;
  v_position text;
  v_columns text;
  -- The published tenant as a condition on the tenant columns of the table aliased by the
  -- format() argument (flows f, quarantine q); NULL for every tenant. None is published for a
  -- context outside the caller's bindings, which flowstate._context refused: the ids are then
  -- NULL, and nothing matches.
  v_tenant text := case when current_setting('flowstate.all_tenants') <> 'on'
                        then format('%%1$s.client_account_id = %L::uuid and %%1$s.engagement_id = %L::uuid',
                                    nullif(current_setting('flowstate.client_account_id'), ''),
                                    nullif(current_setting('flowstate.engagement_id'), '')) end;
begin
  if p_filter is not null and jsonb_typeof(p_filter) not in ('object', 'null') then
    v_errors := v_errors || format('p_filter must be a JSON object, not %s.', jsonb_typeof(p_filter));
    p_filter := null;
  end if;
  for v_key, v_value in select e.key, e.value from jsonb_each(coalesce(nullif(p_filter, 'null'), '{}')) e order by e.key loop
    continue when jsonb_typeof(v_value) = 'null';  -- a null value filters nothing
    case
    when v_key in ('flow_type', 'phase', 'external_id') then
      if jsonb_typeof(v_value) <> 'string' then
        v_errors := v_errors || format('Filter %s must be a string.', v_key);
      elsif v_key = 'flow_type' and not exists (select from flowstate.flow_types t where t.flow_type = v_value #>> '{}') then
        v_errors := v_errors || format('Filter flow_type %s is not a known flow type (see flowstate.flow_types).',
                                       quote_literal(v_value #>> '{}'));
      else
        v_where := v_where || format(' and f.%I = %L', case v_key when 'phase' then 'current_phase' else v_key end, v_value #>> '{}');
      end if;
    when v_key = 'status' then
      if jsonb_typeof(v_value) <> 'string' or v_value #>> '{}' not in ('running', 'paused', 'recovered', 'completed', 'failed') then
        v_errors := v_errors || 'Filter status must be one of running, paused, recovered, completed, failed.'::text;
      else
        v_where := v_where || format(' and f.status = %L', v_value #>> '{}');
      end if;
    when v_key = 'metadata' then
      if jsonb_typeof(v_value) <> 'object' then
        v_errors := v_errors || 'Filter metadata must be an object (flows whose metadata contains it match).'::text;
      else
        -- The tenant ids and user in a document's metadata are columns.
        foreach v_id_key in array array['client_account_id', 'engagement_id', 'user_id'] loop
          continue when not v_value ? v_id_key;
          if jsonb_typeof(v_value -> v_id_key) <> 'string' or not flowstate._is_uuid(v_value ->> v_id_key) then
            v_errors := v_errors || format('Filter metadata.%s must be a UUID string.', v_id_key);
          else
            v_where := v_where || format(' and f.%I = %L::uuid', v_id_key, v_value ->> v_id_key);
          end if;
        end loop;
        -- One containment per key (the same match): a partial index on one key's value, such as
        -- flows_crewai_unfinished_idx, then serves the search.
        select v_where || coalesce(string_agg(format(' and f.metadata @> %L::jsonb', jsonb_build_object(e.key, e.value)), '' order by e.key), '')
          into v_where
          from jsonb_each(v_value - '{client_account_id,engagement_id,user_id}'::text[]) e;
      end if;
    when v_key in ('created_after', 'created_before', 'updated_after', 'updated_before') then
      v_at := null;
      if jsonb_typeof(v_value) = 'string' then
        begin
          v_at := (v_value #>> '{}')::timestamptz;
        exception when others then
          v_at := null;
        end;
      end if;
      if v_at is null or not isfinite(v_at) then
        v_errors := v_errors || format('Filter %s must be an ISO 8601 timestamp, like 2026-01-31T12:00:00Z.', v_key);
      else
        v_where := v_where || format(' and f.%I %s %L::timestamptz', split_part(v_key, '_', 1) || '_at',
                                     case when v_key like '%after' then '>' else '<' end, flowstate._iso(v_at));
      end if;
    when v_key = 'quarantined' then
      if jsonb_typeof(v_value) <> 'boolean' then
        v_errors := v_errors || 'Filter quarantined must be true or false.'::text;
      else
        -- Quarantine of the flow's current life only (flowstate._generation's rule).
        -- true: the few flows with a quarantined document, found from the documents (a
        -- tenant's by their tenant index) and then sorted, rather than by a walk of every flow
        -- of the tenant.
        -- false: most flows, so the page walks the updated_at index and stops after it,
        -- looking each candidate up through the quarantine key; "is false" keeps the planner
        -- from turning it into a join that reads all quarantine and sorts what it finds.
        if (v_value #>> '{}')::boolean then
          v_where := v_where || ' and (f.flow_id, f.generation) in (select q.flow_id, q.generation from flowstate.quarantine q'
                     || coalesce(' where ' || format(v_tenant, 'q'), '') || ')';
        else
          v_where := v_where || ' and exists (select from flowstate.quarantine q where q.flow_id = f.flow_id and q.generation = f.generation) is false';
        end if;
      end if;
    when v_key in ('parent_flow_id', 'client_account_id', 'engagement_id') then
      if jsonb_typeof(v_value) <> 'string' or not flowstate._is_uuid(v_value #>> '{}') then
        v_errors := v_errors || format('Filter %s must be a UUID string.', v_key);
      else
        v_where := v_where || format(' and f.%I = %L::uuid', v_key, v_value #>> '{}');
      end if;
    else
      v_errors := v_errors || format('Unknown filter %s: filters are flow_type, phase, status, metadata, external_id, created_after, created_before, updated_after, updated_before, parent_flow_id, client_account_id, engagement_id, quarantined.',
                                     quote_literal(v_key));
    end case;
  end loop;

  if p_limit is null or p_limit < 1 or p_limit > (flowstate._settings() ->> 'max_search_page')::bigint then
    v_errors := v_errors || format('p_limit must be between 1 and %s (flowstate.settings max_search_page), not %s.',
                                   flowstate._settings() ->> 'max_search_page', coalesce(p_limit::text, 'NULL'));
  end if;

  if p_after is not null then
    begin
      v_position := convert_from(decode(p_after, 'base64'), 'UTF8');
      v_at := timestamptz 'epoch' + split_part(v_position, '/', 1)::bigint * interval '1 microsecond';
      v_where := v_where || format(' and (f.updated_at, f.flow_id) < (%L::timestamptz, %L::uuid)',
                                   flowstate._iso(v_at), split_part(v_position, '/', 2)::uuid);
    exception when others then
      v_errors := v_errors || 'p_after must be a cursor that flow_search returned ("next").'::text;
    end;
  end if;

  if cardinality(v_errors) > 0 then
    raise exception 'invalid search: %', v_errors[1]
      using errcode = 'FS001', detail = jsonb_build_object('errors', v_errors)::text;
  end if;

  v_where := coalesce(' and ' || format(v_tenant, 'f'), '') || v_where;
  -- Every column but state_data (an empty object stands in), whatever columns flows has.
  select string_agg(case when a.attname = 'state_data' then '''{}''::jsonb' else 'f.' || quote_ident(a.attname) end,
                    ', ' order by a.attnum)
    into v_columns
    from pg_catalog.pg_attribute a
   where a.attrelid = 'flowstate.flows'::regclass and a.attnum > 0 and not a.attisdropped;
  return format('select row(%s)::flowstate.flows from flowstate.flows f where true%s order by f.updated_at desc, f.flow_id desc limit %s',
                v_columns, v_where, p_limit + 1);
end;
$$;

comment on function flowstate._search_sql(jsonb, text, integer) is
'Internal. The query flow_search runs (flows without state_data, newest update first, p_limit + 1 rows); raises FS001 listing every problem with the filter, cursor or page size.';

-- flowstate._retention_rules
-- The retention rules in force, per flow type and action: a flow type's own rules, or the
-- default rules (flow_type NULL) for a type without any.
create or replace function flowstate._retention_rules()
returns table (flow_type text, action text, after interval, is_default boolean)
language sql
stable
as $$
  select t.flow_type, p.action, p.after, p.flow_type is null
    from flowstate.flow_types t
    join flowstate.retention_policies p
      on p.flow_type = t.flow_type
      or (p.flow_type is null and not exists (select from flowstate.retention_policies o where o.flow_type = t.flow_type))
$$;

comment on function flowstate._retention_rules() is
'Internal. The retention rule of each flow type and action: the type''s own, else the default (flow_type NULL).';
