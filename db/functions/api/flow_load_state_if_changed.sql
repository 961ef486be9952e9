-- flowstate.flow_load_state_if_changed
-- A version probe for caches: the current document when its flow_version differs from
-- p_known_version, {"flow_version": v, "unchanged": true} when it does not (no state_data is
-- read or sent), NULL when there is no such flow for this tenant. Raises FS001 (context).
create or replace function flowstate.flow_load_state_if_changed(p_flow_id uuid, p_known_version bigint, p_context jsonb)
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  v_version bigint;
begin
  if flowstate._context(p_context) then
    select f.flow_version into v_version from flowstate.flows f where f.flow_id = p_flow_id;
    if v_version is null then
      return null;
    elsif v_version = p_known_version then
      return jsonb_build_object('flow_version', v_version, 'unchanged', true);
    end if;
    return (select flowstate._document(f, true) from flowstate.flows f where f.flow_id = p_flow_id);
  end if;
end;
$$;

comment on function flowstate.flow_load_state_if_changed(uuid, bigint, jsonb) is
'A cache''s version probe: the current document if flow_version differs from p_known_version, else {"flow_version", "unchanged": true} without reading state_data; NULL for a missing flow or another tenant''s. Errors: FS001 invalid context.';
