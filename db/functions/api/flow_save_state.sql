-- flowstate.flow_save_state
-- Validate and write a flow's document. NULL p_expected_version creates the flow;
-- otherwise compare-and-set on flow_version. Phase changes are checked like transitions.
-- Returns the stored document without state_data (the caller holds it).
-- Raises FS001 (invalid; DETAIL lists every problem), FS002 (stale version), FS003 (illegal
-- phase change), FS004 (no such flow for this tenant), FS005 (id exists).
create or replace function flowstate.flow_save_state(
  p_flow_id uuid, p_state jsonb, p_expected_version bigint, p_context jsonb
)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
begin
  return
    flowstate._write_state(p_flow_id, p_state, p_expected_version, true, null, p_context, 'save');
end;
$$;

comment on function flowstate.flow_save_state(uuid, jsonb, bigint, jsonb) is
'Validate and save a flow document. NULL p_expected_version creates the flow; otherwise the save succeeds only if flow_version still equals it (optimistic locking). flow_version, timestamps and checkpoints are the database''s; phase changes must follow the flow type''s graph. Returns the stored document without state_data. Errors: FS001 invalid (DETAIL.errors lists every problem), FS002 stale (DETAIL.expected/actual), FS003 illegal phase change, FS004 not found, FS005 exists.';
