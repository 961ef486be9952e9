-- flowstate.flow_save_state
-- Validate and write a flow's document. NULL p_expected_version creates the flow;
-- otherwise compare-and-set on flow_version. Phase changes are checked like transitions.
-- p_request_id (optional): a retry with the same request id returns this call's result
-- instead of saving again (see 25_request_ids.sql).
-- Returns the stored document without state_data (the caller holds it).
-- Raises FS001 (invalid; DETAIL lists every problem), FS002 (stale version), FS003 (illegal
-- phase change), FS004 (no such flow for this tenant), FS005 (id exists).
drop function if exists flowstate.flow_save_state(uuid, jsonb, bigint, jsonb);
create or replace function flowstate.flow_save_state(
  p_flow_id uuid, p_state jsonb, p_expected_version bigint, p_context jsonb, p_request_id uuid default null
)
returns jsonb
language plpgsql
security definer
set search_path = ''
-- Generic plans: without a request id, the fast path's lookup by key costs less as a custom
-- plan (no request-id check), so it was planned again on every call: 80 us of a 400 us save.
set plan_cache_mode = force_generic_plan
as $$
begin
  -- The request id is claimed and remembered inside: on the fast path, in the write's statement.
  return flowstate._write_state(p_flow_id, p_state, p_expected_version, true, null, p_context, 'save',
                                p_request_id => p_request_id, p_request_function => 'flow_save_state');
end;
$$;

comment on function flowstate.flow_save_state(uuid, jsonb, bigint, jsonb, uuid) is
'Validate and save a flow document. NULL p_expected_version creates the flow; otherwise the save succeeds only if flow_version still equals it (optimistic locking). flow_version, timestamps and checkpoints are the database''s; phase changes must follow the flow type''s graph. With p_request_id, a retry (same flow, same request id) returns the first call''s result and changes nothing. Returns the stored document without state_data. Errors: FS001 invalid (DETAIL.errors lists every problem), FS002 stale (DETAIL.expected/actual), FS003 illegal phase change, FS004 not found, FS005 exists.';
