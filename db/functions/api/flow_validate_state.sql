-- flowstate.flow_validate_state
-- Check a state document against the document schema, the limits in flowstate.settings
-- and its flow type's phase graph. Returns every problem at once as readable sentences
-- (an empty array when the document is valid). Pure: raises nothing, writes nothing.
create or replace function flowstate.flow_validate_state(p_state jsonb)
returns text[]
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  return
    flowstate._validation_errors(p_state, 'discovery');
end;
$$;

comment on function flowstate.flow_validate_state(jsonb) is
'Validate a state document: required fields (flow_id, current_phase, phases_completed, state_data), types, limits (flowstate.settings) and the flow type''s phase graph (flow_type defaults to discovery). Returns every problem as a sentence; an empty array means valid. Writes nothing.';
