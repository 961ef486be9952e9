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

-- flowstate.flow_save_states
-- Save many flows in one call: p_items is a JSON array of {"flow_id", "state",
-- "expected_version", "request_id"} (expected_version null or absent creates, as in
-- flow_save_state; request_id optional, as p_request_id of flow_save_state). An item with
-- "put": true (and an optional "label", no expected_version) is saved as flow_put_state saves
-- it: created or replaced without a version check, its label recorded.
-- p_atomic false (default): each item is its own subtransaction, so a refused item changes
-- nothing and does not stop the others; the result lists every item in order as
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
  v_uuid constant text := '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';
  v_checked boolean;
  v_errors text[];
  v_item jsonb;
  -- Collected in an array and turned into JSON once: appending to a jsonb array copies it
  -- whole each time, which made a batch quadratic (4,000 items: 22 s, 75% in jsonb_concat).
  v_results jsonb[] := '{}';
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
  select coalesce(array_agg(p.problem order by i.n, p.k), '{}') into v_errors
    from jsonb_array_elements(p_items) with ordinality as i(item, n),
         lateral (values
           (1, case when jsonb_typeof(i.item) <> 'object' then
                 format('p_items[%s] must be an object {"flow_id", "state", "expected_version"}, not %s.', i.n - 1, jsonb_typeof(i.item)) end),
           (2, case when jsonb_typeof(i.item) = 'object' and i.item - '{flow_id,state,expected_version,request_id,put,label}'::text[] <> '{}' then
                 format('p_items[%s] has unknown keys (%s); the keys are flow_id, state, expected_version, request_id, put and label.', i.n - 1,
                        (select string_agg(left(k, 40), ', ' order by k)
                           from jsonb_object_keys(i.item - '{flow_id,state,expected_version,request_id,put,label}'::text[]) k)) end),
           (3, case when jsonb_typeof(i.item) = 'object' and not coalesce(jsonb_typeof(i.item -> 'flow_id') = 'string' and i.item ->> 'flow_id' ~ v_uuid, false) then
                 format('p_items[%s].flow_id must be a UUID string.', i.n - 1) end),
           -- (CASE, not AND: only a number may be cast)
           (4, case when jsonb_typeof(i.item) = 'object' and not case coalesce(jsonb_typeof(i.item -> 'expected_version'), 'null')
                           when 'null' then true
                           when 'number' then (i.item ->> 'expected_version')::numeric between 1 and 9223372036854775807
                                              and (i.item ->> 'expected_version')::numeric % 1 = 0
                           else false end then
                 format('p_items[%s].expected_version must be an integer of at least 1, or null to create, not %s.', i.n - 1,
                        left((i.item -> 'expected_version')::text, 40)) end),
           (5, case when jsonb_typeof(i.item) = 'object' and coalesce(jsonb_typeof(i.item -> 'request_id'), 'null') <> 'null'
                     and not coalesce(jsonb_typeof(i.item -> 'request_id') = 'string' and i.item ->> 'request_id' ~ v_uuid, false) then
                 format('p_items[%s].request_id must be a UUID string, or null for none.', i.n - 1) end),
           (6, case when jsonb_typeof(i.item) = 'object' and coalesce(jsonb_typeof(i.item -> 'put'), 'null') not in ('null', 'boolean') then
                 format('p_items[%s].put must be true, false or null, not %s.', i.n - 1, jsonb_typeof(i.item -> 'put')) end),
           (7, case when jsonb_typeof(i.item) = 'object' and coalesce(jsonb_typeof(i.item -> 'label'), 'null') not in ('null', 'string') then
                 format('p_items[%s].label must be a string or null, not %s.', i.n - 1, jsonb_typeof(i.item -> 'label')) end),
           (8, case when jsonb_typeof(i.item) = 'object' and (i.item -> 'put') = 'true' and coalesce(jsonb_typeof(i.item -> 'expected_version'), 'null') <> 'null' then
                 format('p_items[%s] is a put (no version check), so it takes no expected_version.', i.n - 1)
                when jsonb_typeof(i.item) = 'object' and (i.item -> 'put') is distinct from 'true' and coalesce(jsonb_typeof(i.item -> 'label'), 'null') <> 'null' then
                 format('p_items[%s] has a label, which only a put ("put": true) records.', i.n - 1) end)
         ) as p(k, problem)
   where p.problem is not null;
  if cardinality(v_errors) > 0 then
    raise exception 'p_items is invalid: %', v_errors[1]
      using errcode = 'FS001', detail = jsonb_build_object('errors', v_errors)::text;
  end if;

  for v_item in select e from jsonb_array_elements(p_items) e loop
    if p_atomic then
      v_document := flowstate._save_item(v_item, p_context);
      v_results := array_append(v_results, jsonb_build_object('flow_id', v_item -> 'flow_id', 'ok', true, 'document', v_document));
      continue;
    end if;
    begin
      v_document := flowstate._save_item(v_item, p_context);
      v_results := array_append(v_results, jsonb_build_object('flow_id', v_item -> 'flow_id', 'ok', true, 'document', v_document));
    exception when others then
      get stacked diagnostics v_state = returned_sqlstate, v_message = message_text, v_detail = pg_exception_detail;
      v_results := array_append(v_results, jsonb_build_object(
        'flow_id', v_item -> 'flow_id', 'ok', false, 'sqlstate', v_state, 'message', v_message,
        'detail', case when v_state like 'FS%' then nullif(v_detail, '')::jsonb else to_jsonb(nullif(v_detail, '')) end));
    end;
  end loop;
  return to_jsonb(v_results);
end;
$$;

comment on function flowstate.flow_save_states(jsonb, jsonb, boolean) is
'Save many flows in one call. p_items: [{"flow_id", "state", "expected_version", "request_id"}] (null version creates; an item with a request_id seen before for its flow returns its first result, as flow_save_state does; an item {"flow_id", "state", "put": true, "label", "request_id"} is saved as flow_put_state saves it), at most max_batch_items (flowstate.settings). By default each item stands alone: a refused item changes nothing and the result reports it ({flow_id, ok: false, sqlstate, message, detail}) while the others are saved ({flow_id, ok: true, document}). p_atomic => true saves all or nothing and raises the first refusal. Errors: FS001 invalid context, p_items not an array, over max_batch_items or with a malformed item (DETAIL.errors lists every one; nothing is saved); with p_atomic, FS001-FS005.';
