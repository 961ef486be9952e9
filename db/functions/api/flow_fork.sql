-- flowstate.flow_fork
-- Start a new flow from any version of an existing one: p_new_flow_id (or a new id when
-- NULL) at version 1 with that version's flow type, phase, completed phases, status,
-- state_data and metadata, and its lineage: the columns parent_flow_id and parent_version,
-- "forked_from" in its document, the audit row of its creation (operation fork, label naming
-- the parent and version), and an event in the parent's history (operation forked, the
-- parent's version unchanged, label naming the version forked). p_version NULL: the current
-- version. The new flow belongs to the parent's tenant and is created by the context's user.
-- Returns the new flow's whole document. Raises FS001 (context, arguments), FS004 (no such
-- flow or version for this tenant: nothing is created), FS005 (p_new_flow_id exists), FS008
-- (p_new_flow_id was erased).
create or replace function flowstate.flow_fork(
  p_flow_id uuid, p_version bigint, p_new_flow_id uuid, p_context jsonb
)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_parent flowstate.flows;
  v_version bigint;
  v_content jsonb;
  v_new flowstate.flows;
  v_errors text[] := '{}';
  v_published text;  -- set_config() results, unused
begin
  perform flowstate._context(p_context);
  if p_flow_id is null then
    v_errors := v_errors || 'p_flow_id is required.'::text;
  end if;
  if p_version < 1 then
    v_errors := v_errors || format('p_version must be at least 1, not %s.', p_version);
  end if;
  if p_new_flow_id = p_flow_id then
    v_errors := v_errors || 'p_new_flow_id must differ from p_flow_id.'::text;
  end if;
  if cardinality(v_errors) > 0 then
    raise exception 'invalid fork of flow %: %', p_flow_id, v_errors[1]
      using errcode = 'FS001', detail = jsonb_build_object('flow_id', p_flow_id, 'errors', v_errors)::text;
  end if;

  -- KEY SHARE: saves go on, a delete of the parent waits for the fork.
  select * into v_parent from flowstate.flows f where f.flow_id = p_flow_id for key share;
  if v_parent.flow_id is null then
    raise exception 'flow % not found', p_flow_id
      using errcode = 'FS004', detail = jsonb_build_object('flow_id', p_flow_id)::text;
  end if;
  v_version := coalesce(p_version, v_parent.flow_version);
  v_content := case when v_version = v_parent.flow_version then flowstate._audit_content(v_parent)
                    else (flowstate._content_at(p_flow_id, v_version)).content end;
  if v_content is null then
    raise exception 'flow % has no version %', p_flow_id, v_version
      using errcode = 'FS004', detail = jsonb_build_object('flow_id', p_flow_id, 'version', v_version,
        'reason', 'The version is not in the flow''s history (never reached, or dropped by retention).')::text;
  end if;

  v_published := set_config('flowstate.operation', 'fork', true)
              || set_config('flowstate.label', format('fork of %s version %s', p_flow_id, v_version), true);
  insert into flowstate.flows as f (flow_id, flow_type, client_account_id, engagement_id, user_id,
                                    flow_version, current_phase, phases_completed, status, failed_phase,
                                    state_data, metadata, parent_flow_id, parent_version)
  values (coalesce(p_new_flow_id, gen_random_uuid()), v_parent.flow_type, v_parent.client_account_id,
          v_parent.engagement_id, coalesce(nullif(current_setting('flowstate.user_id', true), '')::uuid, v_parent.user_id),
          1, v_content ->> 'current_phase', array(select jsonb_array_elements_text(v_content -> 'phases_completed')),
          v_content ->> 'status', v_content ->> 'failed_phase', v_content -> 'state_data',
          coalesce(v_content -> 'metadata', '{}') - '{client_account_id,engagement_id,user_id}'::text[],
          p_flow_id, v_version)
  on conflict (flow_id) do nothing
  returning * into v_new;
  v_published := set_config('flowstate.operation', '', true) || set_config('flowstate.label', '', true);
  if v_new.flow_id is null then
    raise exception 'flow % already exists', p_new_flow_id
      using errcode = 'FS005', detail = jsonb_build_object('flow_id', p_new_flow_id)::text;
  end if;
  perform flowstate._audit_event(p_flow_id, 'forked', v_parent.flow_version, format('fork of version %s', v_version));
  return flowstate._document(v_new, true);
end;
$$;

comment on function flowstate.flow_fork(uuid, bigint, uuid, jsonb) is
'Fork a flow: a new flow (p_new_flow_id, or a new id when NULL) at version 1 with the flow type, phase, completed phases, status, state_data and metadata of version p_version (NULL: the current one) of p_flow_id, in the same tenant. Lineage: parent_flow_id/parent_version, "forked_from" in the document, a fork audit row on the new flow and a forked event (no new version) on the parent. Returns the new document. Errors: FS001 invalid context or arguments, FS004 no such flow or version for this tenant (nothing created), FS005 p_new_flow_id exists, FS008 p_new_flow_id was erased.';
