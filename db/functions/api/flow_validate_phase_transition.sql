-- flowstate.flow_validate_phase_transition
-- Whether a flow in document p_state may move to p_new_phase. False for an invalid document.
create or replace function flowstate.flow_validate_phase_transition(p_state jsonb, p_new_phase text)
returns boolean
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  return
    cardinality(flowstate._validation_errors(p_state, 'discovery')) = 0
       and flowstate._transition_error(
             coalesce(p_state ->> 'flow_type', 'discovery'), p_state ->> 'current_phase',
             array(select jsonb_array_elements_text(p_state -> 'phases_completed')), p_new_phase) is null;
end;
$$;

comment on function flowstate.flow_validate_phase_transition(jsonb, text) is
'Whether a flow whose document is p_state may move to p_new_phase under its flow type''s graph (flow_type defaults to discovery). False when the document itself is invalid. Writes nothing.';
