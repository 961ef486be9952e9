-- flowstate.flow_state_at
-- The document of a flow exactly as it was at p_version (equal as jsonb to what the save of
-- that version stored), rebuilt from the audit trail; NULL for a missing flow, a version not
-- in the trail, or another tenant's flow. Raises FS001 (context).
create or replace function flowstate.flow_state_at(p_flow_id uuid, p_version bigint, p_context jsonb)
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  v_generation bigint;
  v_at record;
begin
  if flowstate._context(p_context) then
    v_generation := flowstate._generation(p_flow_id);
  end if;
  if v_generation is null then
    return null;
  end if;
  v_at := flowstate._content_at(p_flow_id, p_version, v_generation);
  if v_at.content is null then
    return null;
  end if;
  return v_at.content || jsonb_build_object(
    'flow_version', p_version,
    'updated_at', flowstate._iso(v_at.logged_at),
    'checkpoints', flowstate._checkpoint_list(p_flow_id, v_at.logged_at, v_generation));
end;
$$;

comment on function flowstate.flow_state_at(uuid, bigint, jsonb) is
'The document of a flow as it was at version p_version, rebuilt from the nearest audit snapshot and the changes after it (bounded work however long the history). NULL for a missing flow or version, or another tenant''s flow; an earlier flow with the same id (deleted by a DBA) is never rebuilt. Errors: FS001 invalid context.';
