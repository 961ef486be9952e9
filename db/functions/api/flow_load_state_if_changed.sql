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
begin
  -- flow_load_state_parts holds the probe; a changed flow's document is its two parts joined.
  return (select case when p.state_data is null then p.document
                      else p.document || jsonb_build_object('state_data', p.state_data) end
            from flowstate.flow_load_state_parts(p_flow_id, p_context, p_known_version) p);
end;
$$;

comment on function flowstate.flow_load_state_if_changed(uuid, bigint, jsonb) is
'A cache''s version probe: the current document if flow_version differs from p_known_version, else {"flow_version", "unchanged": true} without reading state_data; NULL for a missing flow or another tenant''s. Errors: FS001 invalid context.';
