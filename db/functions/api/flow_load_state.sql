-- flowstate.flow_load_state
-- The current document of a flow, or NULL when there is none for this tenant
-- (a flow of another tenant is indistinguishable from a missing one). Raises FS001 (context).
create or replace function flowstate.flow_load_state(p_flow_id uuid, p_context jsonb)
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  -- flow_load_state_parts reads the flow (context, tenant); the document is its two parts joined.
  return (select p.document || jsonb_build_object('state_data', p.state_data)
            from flowstate.flow_load_state_parts(p_flow_id, p_context) p);
end;
$$;

comment on function flowstate.flow_load_state(uuid, jsonb) is
'The current state document of a flow, or NULL if it does not exist for the calling tenant. Errors: FS001 invalid context.';
