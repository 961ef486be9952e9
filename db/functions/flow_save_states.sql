-- flowstate._save_item
-- One item of flow_save_states, saved as flow_save_state saves (its optional "request_id"
-- makes a retried item return its first result). Returns the stored document.
create or replace function flowstate._save_item(p_item jsonb, p_context jsonb)
returns jsonb
language plpgsql
as $$
declare
  v_flow_id uuid := (p_item ->> 'flow_id')::uuid;
  v_request_id uuid := (p_item ->> 'request_id')::uuid;
  v_replayed jsonb := flowstate._request_replay(v_flow_id, v_request_id, 'flow_save_state', p_context);
  v_document jsonb;
begin
  if v_replayed is not null then return v_replayed; end if;
  v_document := flowstate._write_state(v_flow_id, p_item -> 'state', (p_item ->> 'expected_version')::bigint,
                                       true, null, p_context, 'save');
  return flowstate._request_remember(v_flow_id, v_request_id, 'flow_save_state', v_document);
end;
$$;

comment on function flowstate._save_item(jsonb, jsonb) is
'Internal. Save one {"flow_id", "state", "expected_version", "request_id"} item of flow_save_states as flow_save_state would.';

-- flowstate.flow_save_states
-- Save many flows in one call: p_items is a JSON array of {"flow_id", "state",
-- "expected_version", "request_id"} (expected_version null or absent creates, as in
-- flow_save_state; request_id optional, as p_request_id of flow_save_state).
-- p_atomic false (default): each item is its own subtransaction, so a refused item changes
-- nothing and does not stop the others; the result lists every item in order as
-- {"flow_id", "ok": true, "document"} or {"flow_id", "ok": false, "sqlstate", "message",
-- "detail"}. p_atomic true: all or nothing; the first refusal is raised (FS00x) and nothing
-- is saved. Documents are returned without state_data, as flow_save_state returns them.
-- Raises FS001 (context, or p_items not an array of objects), and with p_atomic FS001-FS005.
create or replace function flowstate.flow_save_states(p_items jsonb, p_context jsonb, p_atomic boolean default false)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_item jsonb;
  v_results jsonb := '[]';
  v_document jsonb;
  v_state text;
  v_message text;
  v_detail text;
begin
  perform flowstate._context(p_context);
  if jsonb_typeof(p_items) is distinct from 'array'
     or exists (select from jsonb_array_elements(p_items) e where jsonb_typeof(e) <> 'object') then
    raise exception 'p_items must be an array of objects'
      using errcode = 'FS001', detail = jsonb_build_object('errors', jsonb_build_array(
        'p_items must be a JSON array of {"flow_id", "state", "expected_version"} objects.'))::text;
  end if;
  for v_item in select e from jsonb_array_elements(p_items) e loop
    if p_atomic then
      v_document := flowstate._save_item(v_item, p_context);
      v_results := v_results || jsonb_build_array(jsonb_build_object('flow_id', v_item -> 'flow_id', 'ok', true, 'document', v_document));
      continue;
    end if;
    begin
      v_document := flowstate._save_item(v_item, p_context);
      v_results := v_results || jsonb_build_array(jsonb_build_object('flow_id', v_item -> 'flow_id', 'ok', true, 'document', v_document));
    exception when others then
      get stacked diagnostics v_state = returned_sqlstate, v_message = message_text, v_detail = pg_exception_detail;
      v_results := v_results || jsonb_build_array(jsonb_build_object(
        'flow_id', v_item -> 'flow_id', 'ok', false, 'sqlstate', v_state, 'message', v_message,
        'detail', case when v_state like 'FS%' then nullif(v_detail, '')::jsonb else to_jsonb(nullif(v_detail, '')) end));
    end;
  end loop;
  return v_results;
end;
$$;

comment on function flowstate.flow_save_states(jsonb, jsonb, boolean) is
'Save many flows in one call. p_items: [{"flow_id", "state", "expected_version", "request_id"}] (null version creates; an item with a request_id seen before for its flow returns its first result, as flow_save_state does). By default each item stands alone: a refused item changes nothing and the result reports it ({flow_id, ok: false, sqlstate, message, detail}) while the others are saved ({flow_id, ok: true, document}). p_atomic => true saves all or nothing and raises the first refusal. Errors: FS001 invalid context or p_items; with p_atomic, FS001-FS005.';
