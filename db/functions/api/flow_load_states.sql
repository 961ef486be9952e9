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
declare
  v_checked boolean := flowstate._check_size('p_flow_ids', cardinality(p_flow_ids), 'max_batch_items');
begin
  if flowstate._context(p_context) then
    return query
      select f.flow_id, flowstate._document(f, true)
        from unnest(p_flow_ids) with ordinality as i(id, n)
        join flowstate.flows f on f.flow_id = i.id
       order by i.n;
  end if;
end;
$$;

comment on function flowstate.flow_load_states(uuid[], jsonb) is
'Load many flows in one call: (flow_id, document) for each id of p_flow_ids that exists for the calling tenant, in the order given; missing ids are absent. At most max_batch_items ids (flowstate.settings). Errors: FS001 invalid context or too many ids.';
