-- flowstate.flow_diff
-- What changed between two versions of a flow, one row per changed path (the deepest path
-- at which both versions still agree on the shape), with both values. No rows when either
-- version is unknown or the flow is another tenant's. Raises FS001 (context).
create or replace function flowstate.flow_diff(
  p_flow_id uuid, p_from_version bigint, p_to_version bigint, p_context jsonb
)
returns table (path text[], change text, old_value jsonb, new_value jsonb)
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  v_generation bigint;
  v_from jsonb;
  v_to jsonb;
begin
  if flowstate._context(p_context) then
    v_generation := flowstate._generation(p_flow_id);
  end if;
  if v_generation is null then
    return;
  end if;
  v_from := (flowstate._content_at(p_flow_id, p_from_version, v_generation)).content;
  v_to := (flowstate._content_at(p_flow_id, p_to_version, v_generation)).content;
  if v_from is null or v_to is null then
    return;
  end if;
  return query
    select p.path,
           case when v_from #> p.path is null then 'added'
                when v_to #> p.path is null then 'removed'
                else 'changed' end,
           v_from #> p.path, v_to #> p.path
      from jsonb_array_elements(flowstate._jsonb_diff(v_from - 'created_at', v_to - 'created_at', '{}')) d,
           lateral (select array(select jsonb_array_elements_text(d.value -> 0)) as path) p
     order by p.path;
end;
$$;

comment on function flowstate.flow_diff(uuid, bigint, bigint, jsonb) is
'The differences between versions p_from_version and p_to_version of a flow: (path, change added|removed|changed, old_value, new_value), one row per changed path, ordered by path. No rows for an unknown version (an earlier flow''s with the same id included) or another tenant''s flow. Errors: FS001 invalid context.';
