-- flowstate.flow_put_state
-- Create or replace a flow's document without a version check (last writer wins), for
-- callers that cannot know the version, such as CrewAI's blind save_state. Validated,
-- phase-checked and audited like any save; p_label (a method name) is recorded, and
-- p_external_id (the caller's own id for the flow, see flow_id_for) is kept findable.
-- p_request_id (optional): a retry with the same request id returns this call's result
-- instead of writing again (see 25_request_ids.sql).
-- Returns the stored document without state_data. Raises FS001 (also p_label or p_external_id
-- over max_label_bytes), FS003, FS005 (the id is another tenant's).
drop function if exists flowstate.flow_put_state(uuid, jsonb, text, jsonb);
drop function if exists flowstate.flow_put_state(uuid, jsonb, text, jsonb, text);
create or replace function flowstate.flow_put_state(
  p_flow_id uuid, p_state jsonb, p_label text, p_context jsonb, p_external_id text default null,
  p_request_id uuid default null
)
returns jsonb
language plpgsql
security definer
set search_path = ''
-- Generic plans, as flow_save_state: a put without a request id would plan its lookup every call.
set plan_cache_mode = force_generic_plan
as $$
declare
  v_checked boolean := flowstate._check_size('p_label', octet_length(p_label), 'max_label_bytes', p_flow_id)
                   and flowstate._check_size('p_external_id', octet_length(p_external_id), 'max_label_bytes', p_flow_id);
begin
  -- The request id is claimed and remembered inside: on the fast path, in the write's statement.
  return flowstate._write_state(p_flow_id, p_state, null, false, p_label, p_context, 'put', p_external_id,
                                p_request_id, 'flow_put_state');
end;
$$;

comment on function flowstate.flow_put_state(uuid, jsonb, text, jsonb, text, uuid) is
'Create or replace a flow document without a version check (last writer wins); validated, phase-checked and audited like flow_save_state, with p_label (e.g. the CrewAI method name) recorded and p_external_id (the caller''s own id, see flow_id_for) kept in flows.external_id. With p_request_id, a retry (same flow, same request id) returns the first call''s result and changes nothing. Returns the stored document without state_data. Errors: FS001 invalid (or p_label, p_external_id over max_label_bytes), FS003 illegal phase change, FS005 the id belongs to another tenant.';
