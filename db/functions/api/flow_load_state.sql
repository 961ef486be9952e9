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
  if flowstate._context(p_context) then
    return (select flowstate._document(f, true) from flowstate.flows f where f.flow_id = p_flow_id);
  end if;
end;
$$;

comment on function flowstate.flow_load_state(uuid, jsonb) is
'The current state document of a flow, or NULL if it does not exist for the calling tenant. Errors: FS001 invalid context.';
