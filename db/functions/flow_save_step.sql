-- flowstate.flow_save_step
-- Record that a step (phase) of a flow finished with state_data p_state_data, computing the
-- phases from the stored state under a row lock: for callers that know their step but not
-- the stored document, such as CrewAI's save_state(flow_uuid, method_name, state). Moving to
-- another phase completes the current one (as flow_transition_phase does, graph-checked);
-- the same phase again just saves. Creates the flow (of p_flow_type) when missing.
-- Audited as a put with p_label. Returns the stored document without state_data.
-- Raises FS001 (invalid), FS003 (the graph forbids the move), FS005 (another tenant's id).
create or replace function flowstate.flow_save_step(
  p_flow_id uuid, p_phase text, p_state_data jsonb, p_label text, p_context jsonb,
  p_flow_type text default 'crewai', p_external_id text default null
)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_flow flowstate.flows;
  v_completed text[];
begin
  perform flowstate._context(p_context);
  select * into v_flow from flowstate.flows where flow_id = p_flow_id for update;
  if v_flow.flow_id is null then
    return flowstate._write_state(p_flow_id,
      jsonb_build_object('flow_id', p_flow_id, 'flow_type', p_flow_type, 'current_phase', p_phase,
                         'phases_completed', '[]'::jsonb, 'state_data', p_state_data),
      null, false, p_label, p_context, 'put', p_external_id);
  end if;
  v_completed := case when p_phase is not distinct from v_flow.current_phase or p_phase = 'failed'
                           or v_flow.current_phase = any (v_flow.phases_completed)
                      then v_flow.phases_completed
                      else v_flow.phases_completed || v_flow.current_phase end;
  return flowstate._write_state(p_flow_id,
    jsonb_build_object('flow_id', p_flow_id, 'flow_type', v_flow.flow_type, 'current_phase', p_phase,
                       'phases_completed', to_jsonb(v_completed), 'state_data', p_state_data,
                       'metadata', v_flow.metadata),
    v_flow.flow_version, true, p_label, p_context, 'put', p_external_id);
end;
$$;

comment on function flowstate.flow_save_step(uuid, text, jsonb, text, jsonb, text, text) is
'Record that step p_phase finished with p_state_data, deriving phases from the stored state under a row lock (a new phase completes the current one, graph-checked; the same phase again just saves); creates the flow as p_flow_type when missing. For callers that know their step but not the document, like CrewAI''s save_state. Audited as a put with p_label; p_external_id kept as with flow_put_state. Returns the stored document without state_data. Errors: FS001 invalid, FS003 move not allowed, FS005 another tenant''s id.';
