-- flowstate.flow_id_for
-- The flow id of an external id (a CrewAI flow_uuid, any string) for a tenant: a canonical
-- UUID (lower-case, hyphenated) is used as is; any other string, other spellings of a UUID
-- included, becomes a UUIDv5 in a namespace derived from the tenant, so "7F27ADE4-..." and
-- "7f27ade4-..." stay two flows (as they are to CrewAI) and two tenants' "run-1" never
-- collide. Deterministic: the migrator and the CrewAI backend both call this.
-- Raises FS001 (context: a tenant is required; p_external_id over max_label_bytes). Stable, not
-- immutable: the limit is a setting (and hashing an unbounded string would take minutes).
create or replace function flowstate.flow_id_for(p_external_id text, p_context jsonb)
returns uuid
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  v_checked boolean := flowstate._check_size('p_external_id', octet_length(p_external_id), 'max_label_bytes');
  v_itself constant uuid := flowstate._canonical_uuid(p_external_id);
begin
  if v_itself is not null then
    return v_itself;
  end if;
  if jsonb_typeof(p_context -> 'client_account_id') is distinct from 'string'
     or jsonb_typeof(p_context -> 'engagement_id') is distinct from 'string' then
    raise exception 'a tenant is required to map an external id'
      using errcode = 'FS001', detail = jsonb_build_object('errors', jsonb_build_array(
        'flow_id_for needs a context with client_account_id and engagement_id.'))::text;
  end if;
  return flowstate._uuid_v5(flowstate._flow_namespace(p_context), p_external_id);
end;
$$;

comment on function flowstate.flow_id_for(text, jsonb) is
'The flow id for an external id (e.g. a CrewAI flow_uuid) in the context''s tenant: a canonical lower-case hyphenated UUID is used as is; any other string maps to a UUIDv5 in a namespace derived from the tenant (deterministic, case-sensitive). Errors: FS001 without a tenant, or p_external_id over max_label_bytes.';
