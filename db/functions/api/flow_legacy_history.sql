-- flowstate.flow_legacy_history
-- The legacy (CrewAI SQLite) rows an imported flow came from, oldest first: the method name,
-- the original timestamp text, the state as jsonb (mapped as flowstate._legacy_json documents,
-- with notes in `mapped`) and the exact original text with its sha256. No rows for a flow
-- that was not imported (a later flow under the id of an imported one included), a missing
-- flow or another tenant's. Raises FS001 (context).
create or replace function flowstate.flow_legacy_history(p_flow_id uuid, p_context jsonb)
returns table (
  legacy_id bigint, method_name text, legacy_timestamp text, state jsonb, mapped text[],
  state_text text, state_sha256 text
)
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  -- The legacy rows of an id belong to the flow its ledger entry's import created.
  if flowstate._context(p_context)
     and exists (select from flowstate.migration_ledger l
                  where l.flow_id = p_flow_id and l.generation = flowstate._generation(p_flow_id)) then
    return query
      select r.legacy_id, r.method_name, r.legacy_timestamp, j.state, j.notes, r.state_text, r.state_sha256
        from flowstate.legacy_rows r
        cross join lateral flowstate._legacy_json(r.state_text, false) j
       where r.flow_id = p_flow_id
       order by r.legacy_id;
  end if;
end;
$$;

comment on function flowstate.flow_legacy_history(uuid, jsonb) is
'The legacy CrewAI rows an imported flow came from, oldest first: legacy_id, method_name, legacy_timestamp (original text), state (jsonb, mapped where jsonb cannot hold the text: see mapped), state_text (exact original) and state_sha256. No rows for a flow not imported (a later flow under a deleted imported flow''s id included), missing or another tenant''s. Errors: FS001 invalid context.';
