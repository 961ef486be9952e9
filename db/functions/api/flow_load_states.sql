-- flowstate.flow_load_states
-- Load many flows in one call: one row per id of p_flow_ids that exists for this tenant
-- (missing ids and other tenants' flows are simply absent), in the order of p_flow_ids.
-- At most max_batch_items ids (flowstate.settings). Raises FS001 (context, too many ids).
create or replace function flowstate.flow_load_states(p_flow_ids uuid[], p_context jsonb)
returns table (flow_id uuid, document jsonb)
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  -- flow_load_states_parts reads the flows (context, tenant, batch limit), in order.
  return query
    select p.flow_id, p.document || jsonb_build_object('state_data', p.state_data)
      from flowstate.flow_load_states_parts(p_flow_ids, p_context) p;
end;
$$;

comment on function flowstate.flow_load_states(uuid[], jsonb) is
'Load many flows in one call: (flow_id, document) for each id of p_flow_ids that exists for the calling tenant, in the order given; missing ids are absent. At most max_batch_items ids (flowstate.settings). Errors: FS001 invalid context or too many ids.';
