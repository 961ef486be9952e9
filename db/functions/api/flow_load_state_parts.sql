-- flowstate.flow_load_state_parts
-- flow_load_state's document in two parts: the document without state_data, and state_data as
-- it is stored. One row, or none when there is no such flow for this tenant (like
-- flow_load_state's NULL). With p_known_version, a cache's probe as flow_load_state_if_changed:
-- when the flow is still at that version the row is ({"flow_version": v, "unchanged": true},
-- NULL), and state_data is neither read nor sent. Raises FS001 (context).
-- Why two parts: building the whole document walks state_data again into a new jsonb (about
-- 0.6 ms on a state of 850 small objects, a quarter of a 100 KB load); the wrapper puts the
-- stored state_data into the document itself.
create or replace function flowstate.flow_load_state_parts(p_flow_id uuid, p_context jsonb, p_known_version bigint default null)
returns table (document jsonb, state_data jsonb)
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  if flowstate._context(p_context) then
    -- A plain load's statement apart from the probe's: the executor sets up every expression
    -- of a statement anew on each call, so the probe's CASEs cost a plain load too (3% of
    -- its server time at 1 KB).
    if p_known_version is null then
      return query
        select flowstate._document(f, false), f.state_data::jsonb
          from flowstate.flows f
         where f.flow_id = p_flow_id;
    else
      return query
        select case when f.flow_version = p_known_version then jsonb_build_object('flow_version', f.flow_version, 'unchanged', true)
                    else flowstate._document(f, false) end,
               case when f.flow_version <> p_known_version then f.state_data::jsonb end
          from flowstate.flows f
         where f.flow_id = p_flow_id;
    end if;
  end if;
end;
$$;

comment on function flowstate.flow_load_state_parts(uuid, jsonb, bigint) is
'flow_load_state''s document in two parts, for callers that assemble it: (document without state_data, state_data as stored); no row if the flow does not exist for the calling tenant. With p_known_version, when the flow is still at that version: ({"flow_version", "unchanged": true}, NULL), as flow_load_state_if_changed. Errors: FS001 invalid context.';

-- flowstate.flow_load_states_parts
-- flow_load_states with each document in the two parts of flow_load_state_parts.
-- At most max_batch_items ids (flowstate.settings). Raises FS001 (context, too many ids).
create or replace function flowstate.flow_load_states_parts(p_flow_ids uuid[], p_context jsonb)
returns table (flow_id uuid, document jsonb, state_data jsonb)
language plpgsql
stable
security definer
set search_path = ''
-- Generic plans: a custom plan folds the id array into the statement and was made again on
-- every call (about 210 us); the generic one joins by key just as well.
set plan_cache_mode = force_generic_plan
as $$
declare
  v_checked boolean := flowstate._check_size('p_flow_ids', cardinality(p_flow_ids), 'max_batch_items');
begin
  if flowstate._context(p_context) then
    return query
      select f.flow_id, flowstate._document(f, false), f.state_data::jsonb
        from unnest(p_flow_ids) with ordinality as i(id, n)
        join flowstate.flows f on f.flow_id = i.id
       order by i.n;
  end if;
end;
$$;

comment on function flowstate.flow_load_states_parts(uuid[], jsonb) is
'flow_load_states in two parts per flow: (flow_id, document without state_data, state_data as stored) for each id of p_flow_ids that exists for the calling tenant, in the order given. At most max_batch_items ids (flowstate.settings). Errors: FS001 invalid context or too many ids.';
