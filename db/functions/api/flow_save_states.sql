-- flowstate._save_item
-- One item of flow_save_states, saved as flow_save_state saves it, or with "put": true as
-- flow_put_state does (its "label" recorded); its optional "request_id" makes a retried item
-- return its first result, as for those functions. Returns the stored document.
create or replace function flowstate._save_item(p_item jsonb, p_context jsonb)
returns jsonb
language plpgsql
as $$
declare
  v_flow_id uuid := (p_item ->> 'flow_id')::uuid;
  v_request_id uuid := (p_item ->> 'request_id')::uuid;
  v_put boolean := coalesce((p_item ->> 'put')::boolean, false);
  -- A request id is remembered under the function it stands for, so a retry matches alike.
  v_function text := case when v_put then 'flow_put_state' else 'flow_save_state' end;
  v_checked boolean;
begin
  -- The request id is claimed and remembered by flowstate._write_state, as for a lone call.
  if v_put then
    v_checked := flowstate._check_size('p_label', octet_length(p_item ->> 'label'), 'max_label_bytes', v_flow_id);
    return flowstate._write_state(v_flow_id, p_item -> 'state', null, false, p_item ->> 'label', p_context, 'put',
                                  p_request_id => v_request_id, p_request_function => v_function);
  end if;
  return flowstate._write_state(v_flow_id, p_item -> 'state', (p_item ->> 'expected_version')::bigint,
                                true, null, p_context, 'save', p_request_id => v_request_id, p_request_function => v_function);
end;
$$;

comment on function flowstate._save_item(jsonb, jsonb) is
'Internal. Save one {"flow_id", "state", "expected_version", "request_id"} item of flow_save_states as flow_save_state would, or a {"flow_id", "state", "put": true, "label", "request_id"} one as flow_put_state would.';

-- flowstate._save_together
-- The items of flow_save_states that a lone call would save on its fast path (see
-- flowstate._write_state: an existing flow, a document that passes flowstate._looks_valid and
-- the limits, the same phases and flow type, the expected version, no result under the request
-- id), written together: one UPDATE of their flows, one INSERT of their audit rows, of their
-- request ids' results and of their activity count, exactly as one call each would write them.
-- Only an item that is its flow's first in the batch is taken (a later one must meet the flow
-- as the earlier left it). First every flow of the batch is locked, without waiting (NOWAIT):
-- the batch then waits on no flow it already holds, whatever order it writes them in, so
-- writing the common items before the others adds no lock order that two batches could
-- deadlock on. When another transaction holds one of them, this raises and the caller saves
-- every item alone, in order, waiting as lone calls do.
-- Returns flow_save_states' results by item position ({flow_id, ok: true, document}, the
-- document without state_data), NULL where an item was not taken (the caller saves it
-- alone). Raises also when a request id's result could not be remembered (an entry appeared
-- meanwhile): the caller then saves every item alone.
create or replace function flowstate._save_together(p_items jsonb, p_context jsonb)
returns jsonb[]
language plpgsql
as $$
declare
  v_user constant uuid := (p_context ->> 'user_id')::uuid;
  v_role constant text := flowstate._caller_role();
  v_max_label constant bigint := (flowstate._settings() ->> 'max_label_bytes')::bigint;
  v_results jsonb[];
  v_moved_from flowstate.flows[];
  v_moved_to flowstate.flows[];
  v_unremembered bigint;
begin
  -- An array, not IN (subquery): row-level security keeps the planner from probing the key
  -- with a semi-join, so that form scanned every tenant's flows (42 ms at 100,000 flows).
  perform from flowstate.flows f
   where f.flow_id = any (array(select (e ->> 'flow_id')::uuid from jsonb_array_elements(p_items) e))
   order by f.flow_id
     for update nowait;
  with items as (
    select i.n, (i.item ->> 'flow_id')::uuid as flow_id, i.item -> 'state' as state,
           (i.item ->> 'expected_version')::bigint as expected_version,
           coalesce((i.item ->> 'put')::boolean, false) as put, i.item ->> 'label' as label,
           (i.item ->> 'request_id')::uuid as request_id,
           row_number() over (partition by (i.item ->> 'flow_id')::uuid order by i.n) as nth
      from jsonb_array_elements(p_items) with ordinality as i(item, n)),
  -- CASE, not AND: the document's flow_id is cast only once it is known to be a UUID.
  taken as materialized (
    select i.n, i.put, i.label, i.request_id, f as old,
           flowstate._fast_row(f, i.state, i.label, null) as new
      from items i
      join flowstate.flows f on f.flow_id = i.flow_id
     where i.nth = 1
       and case when (i.put or i.expected_version is not null)
                     and (not i.put or coalesce(octet_length(i.label) <= v_max_label, true))
                     and flowstate._looks_valid(i.state) and flowstate._within_limits(i.state)
                then (i.state ->> 'flow_id')::uuid = i.flow_id else false end
       and (f.flow_version = i.expected_version or i.put)
       and f.current_phase = i.state ->> 'current_phase'
       and to_jsonb(f.phases_completed) = i.state -> 'phases_completed'
       and f.flow_type = coalesce(i.state ->> 'flow_type', f.flow_type)
       and (i.request_id is null
            or not exists (select from flowstate.request_ids r
                            where r.flow_id = f.flow_id and r.request_id = i.request_id and r.generation = f.generation))),
  changed as materialized (
    select t.*, flowstate._audit_changes(t.old, t.new) as changes from taken t),
  written as (
    update flowstate.flows f
       set flow_version = (c.old).flow_version + 1,
           status = (c.new).status,
           state_data = (c.new).state_data,
           metadata = (c.new).metadata,
           last_label = (c.new).last_label,
           updated_at = now(),
           history_bytes = case when c.changes is null then 0 else (c.old).history_bytes + pg_column_size(c.changes) end,
           history_changes = case when c.changes is null then 0 else (c.old).history_changes + 1 end
      from changed c
     where f.flow_id = (c.old).flow_id and f.flow_version = (c.old).flow_version
    returning f as stored, c.n, c.put, c.label, c.request_id, c.old, c.new, c.changes),
  audited as (
    insert into flowstate.audit_log (flow_id, generation, operation, old_version, new_version, old_phase, new_phase,
                                     actor_user_id, actor_role, label, changes, snapshot)
    select (w.stored).flow_id, (w.stored).generation, case when w.put then 'put' else 'save' end,
           (w.old).flow_version, (w.stored).flow_version, (w.old).current_phase, (w.stored).current_phase,
           v_user, v_role, nullif(w.label, ''), w.changes,
           case when w.changes is null then flowstate._audit_content(w.new) end
      from written w
     order by w.n),
  documented as (
    select w.n, (w.stored).flow_id, (w.stored).generation, w.request_id,
           case when w.put then 'flow_put_state' else 'flow_save_state' end as request_function,
           flowstate._document(w.stored, false) as document
      from written w),
  remembered as (
    insert into flowstate.request_ids as r (flow_id, request_id, operation, generation, result)
    select d.flow_id, d.request_id, d.request_function, d.generation, d.document
      from documented d
     where d.request_id is not null
    on conflict (flow_id, request_id) do update
      set operation = excluded.operation, generation = excluded.generation, result = excluded.result, created_at = now()
      where r.generation is distinct from excluded.generation
    returning 1),
  -- The writes' count in their tenants' activity, as flowstate._write_flow counts a lone one.
  counted as (
    insert into flowstate.activity_tallies as t (client_account_id, engagement_id, hour, slot, writes)
    select (w.stored).client_account_id, (w.stored).engagement_id, flowstate._tally_hour(), flowstate._tally_slot(), count(*)
      from written w
     group by 1, 2 order by 1, 2
    on conflict (client_account_id, engagement_id, hour, slot) do update set writes = t.writes + excluded.writes)
  select array(select case when d.n is not null then jsonb_build_object('flow_id', i.item -> 'flow_id', 'ok', true, 'document', d.document) end
                 from jsonb_array_elements(p_items) with ordinality as i(item, n)
                 left join documented d on d.n = i.n order by i.n),
         array(select w.old from written w where (w.new).status is distinct from (w.old).status order by w.n),
         array(select w.new from written w where (w.new).status is distinct from (w.old).status order by w.n),
         (select count(*) from documented d where d.request_id is not null) - (select count(*) from remembered)
    into v_results, v_moved_from, v_moved_to, v_unremembered;
  if v_unremembered <> 0 then
    raise exception 'a request id of the batch was used meanwhile';
  end if;
  -- A status change moves the flow between tallies, as after a lone save (activity first).
  if cardinality(v_moved_from) > 0 then
    perform flowstate._tally_move(v_moved_from[g.i], v_moved_to[g.i]) from generate_subscripts(v_moved_from, 1) as g(i);
  end if;
  return v_results;
end;
$$;

comment on function flowstate._save_together(jsonb, jsonb) is
'Internal. Write the items of flow_save_states that a lone call would save on its fast path together (one statement), exactly as one call each; returns their results ({flow_id, ok, document}) by item position, NULL for items left to be saved alone.';

-- flowstate.flow_save_states
-- Save many flows in one call: p_items is a JSON array of {"flow_id", "state",
-- "expected_version", "request_id"} (expected_version null or absent creates, as in
-- flow_save_state; request_id optional, as p_request_id of flow_save_state). An item with
-- "put": true (and an optional "label", no expected_version) is saved as flow_put_state saves
-- it: created or replaced without a version check, its label recorded.
-- The items a lone call would save on its fast path are written together by one statement
-- (flowstate._save_together); every other item goes alone, in order, after them.
-- p_atomic false (default): each item alone is its own subtransaction, so a refused item
-- changes nothing and does not stop the others; the result lists every item in order as
-- {"flow_id", "ok": true, "document"} or {"flow_id", "ok": false, "sqlstate", "message",
-- "detail"}. p_atomic true: all or nothing; the first refusal is raised (FS00x) and nothing
-- is saved. Documents are returned without state_data, as flow_save_state returns them.
-- At most max_batch_items items (flowstate.settings); the cost is linear in the count.
-- Raises FS001 (context; p_items not an array, over max_batch_items, or with a malformed item:
-- every problem listed, nothing saved), and with p_atomic FS001-FS005.
create or replace function flowstate.flow_save_states(p_items jsonb, p_context jsonb, p_atomic boolean default false)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_checked boolean;
  v_errors text[];
  v_item jsonb;
  -- Collected in an array and turned into JSON once: appending to a jsonb array copies it
  -- whole each time, which made a batch quadratic (4,000 items: 22 s, 75% in jsonb_concat).
  v_results jsonb[];
  v_n bigint;
  v_document jsonb;
  v_state text;
  v_message text;
  v_detail text;
begin
  v_checked := flowstate._context(p_context);
  if jsonb_typeof(p_items) is distinct from 'array' then
    raise exception 'p_items must be an array of objects'
      using errcode = 'FS001', detail = jsonb_build_object('errors', jsonb_build_array(
        'p_items must be a JSON array of {"flow_id", "state", "expected_version"} objects.'))::text;
  end if;
  v_checked := flowstate._check_size('p_items', jsonb_array_length(p_items), 'max_batch_items');
  -- Every item's shape, every problem at once, before anything is saved.
  -- One array of problems per item, unnested only where there are some: a valid item makes
  -- no rows.
  select coalesce(array_agg(p.problem order by c.n, p.k), '{}') into v_errors
    from (select i.n, array_remove(array[
           case when jsonb_typeof(i.item) <> 'object' then
                 format('p_items[%s] must be an object {"flow_id", "state", "expected_version"}, not %s.', i.n - 1, jsonb_typeof(i.item)) end,
           case when jsonb_typeof(i.item) = 'object' and i.item - '{flow_id,state,expected_version,request_id,put,label}'::text[] <> '{}' then
                 format('p_items[%s] has unknown keys (%s); the keys are flow_id, state, expected_version, request_id, put and label.', i.n - 1,
                        (select string_agg(left(k, 40), ', ' order by k)
                           from jsonb_object_keys(i.item - '{flow_id,state,expected_version,request_id,put,label}'::text[]) k)) end,
           case when jsonb_typeof(i.item) = 'object' and not coalesce(jsonb_typeof(i.item -> 'flow_id') = 'string' and flowstate._is_uuid(i.item ->> 'flow_id'), false) then
                 format('p_items[%s].flow_id must be a UUID string.', i.n - 1) end,
           case when jsonb_typeof(i.item) = 'object' and not case coalesce(jsonb_typeof(i.item -> 'expected_version'), 'null')
                           when 'null' then true
                           when 'number' then (i.item ->> 'expected_version')::numeric between 1 and 9223372036854775807
                                              and (i.item ->> 'expected_version')::numeric % 1 = 0
                           else false end then
                 format('p_items[%s].expected_version must be an integer of at least 1, or null to create, not %s.', i.n - 1,
                        left((i.item -> 'expected_version')::text, 40)) end,
           case when jsonb_typeof(i.item) = 'object' and coalesce(jsonb_typeof(i.item -> 'request_id'), 'null') <> 'null'
                     and not coalesce(jsonb_typeof(i.item -> 'request_id') = 'string' and flowstate._is_uuid(i.item ->> 'request_id'), false) then
                 format('p_items[%s].request_id must be a UUID string, or null for none.', i.n - 1) end,
           case when jsonb_typeof(i.item) = 'object' and coalesce(jsonb_typeof(i.item -> 'put'), 'null') not in ('null', 'boolean') then
                 format('p_items[%s].put must be true, false or null, not %s.', i.n - 1, jsonb_typeof(i.item -> 'put')) end,
           case when jsonb_typeof(i.item) = 'object' and coalesce(jsonb_typeof(i.item -> 'label'), 'null') not in ('null', 'string') then
                 format('p_items[%s].label must be a string or null, not %s.', i.n - 1, jsonb_typeof(i.item -> 'label')) end,
           case when jsonb_typeof(i.item) = 'object' and (i.item -> 'put') = 'true' and coalesce(jsonb_typeof(i.item -> 'expected_version'), 'null') <> 'null' then
                 format('p_items[%s] is a put (no version check), so it takes no expected_version.', i.n - 1)
                when jsonb_typeof(i.item) = 'object' and (i.item -> 'put') is distinct from 'true' and coalesce(jsonb_typeof(i.item -> 'label'), 'null') <> 'null' then
                 format('p_items[%s] has a label, which only a put ("put": true) records.', i.n - 1) end
         ], null) as problems
            from jsonb_array_elements(p_items) with ordinality as i(item, n)) c,
         lateral unnest(c.problems) with ordinality as p(problem, k)
   where cardinality(c.problems) > 0;
  if cardinality(v_errors) > 0 then
    raise exception 'p_items is invalid: %', v_errors[1]
      using errcode = 'FS001', detail = jsonb_build_object('errors', v_errors)::text;
  end if;

  -- The common items go together; every other one alone, in order, below.
  begin
    v_results := flowstate._save_together(p_items, p_context);
  exception when others then
    v_results := array_fill(null::jsonb, array[jsonb_array_length(p_items)]);
  end;
  for v_item, v_n in select e, n from jsonb_array_elements(p_items) with ordinality as i(e, n) where v_results[n] is null loop
    if p_atomic then
      v_document := flowstate._save_item(v_item, p_context);
      v_results[v_n] := jsonb_build_object('flow_id', v_item -> 'flow_id', 'ok', true, 'document', v_document);
      continue;
    end if;
    begin
      v_document := flowstate._save_item(v_item, p_context);
      v_results[v_n] := jsonb_build_object('flow_id', v_item -> 'flow_id', 'ok', true, 'document', v_document);
    exception when others then
      get stacked diagnostics v_state = returned_sqlstate, v_message = message_text, v_detail = pg_exception_detail;
      v_results[v_n] := jsonb_build_object(
        'flow_id', v_item -> 'flow_id', 'ok', false, 'sqlstate', v_state, 'message', v_message,
        'detail', case when v_state like 'FS%' then nullif(v_detail, '')::jsonb else to_jsonb(nullif(v_detail, '')) end);
    end;
  end loop;
  return to_jsonb(v_results);
end;
$$;

comment on function flowstate.flow_save_states(jsonb, jsonb, boolean) is
'Save many flows in one call. p_items: [{"flow_id", "state", "expected_version", "request_id"}] (null version creates; an item with a request_id seen before for its flow returns its first result, as flow_save_state does; an item {"flow_id", "state", "put": true, "label", "request_id"} is saved as flow_put_state saves it), at most max_batch_items (flowstate.settings). By default each item stands alone: a refused item changes nothing and the result reports it ({flow_id, ok: false, sqlstate, message, detail}) while the others are saved ({flow_id, ok: true, document}). p_atomic => true saves all or nothing and raises the first refusal. Errors: FS001 invalid context, p_items not an array, over max_batch_items or with a malformed item (DETAIL.errors lists every one; nothing is saved); with p_atomic, FS001-FS005.';
