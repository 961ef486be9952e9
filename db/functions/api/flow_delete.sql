-- flowstate.flow_delete
-- Erase a flow and everything that holds its content: its row, checkpoints, quarantined
-- documents, pending feedback, legacy rows and import record, its audit history, and its rows
-- in any other flowstate table. Leaves a tombstone in flowstate.erasures (tenant, who, when,
-- p_reason, rows removed per table; no content), written first, in the same transaction: the
-- append-only guards let the history go only then. The id can never be used again (FS008).
-- Forks of the flow are flows of their own and stay. An admin (NULL context) may also erase
-- what is left of a flow without a row (a DBA's direct DELETE keeps its history).
-- Returns the tombstone. Raises FS001 (context, reason), FS004 (no such flow for this tenant),
-- FS008 (already erased).
create or replace function flowstate.flow_delete(p_flow_id uuid, p_reason text, p_context jsonb)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_errors text[];
  v_found boolean;
  v_erased_at timestamptz;
  v_tombstone flowstate.erasures;
begin
  perform flowstate._context(p_context);
  v_errors := flowstate._reason_errors(p_reason);
  if p_flow_id is null then
    v_errors := 'p_flow_id is required.'::text || v_errors;
  end if;
  if cardinality(v_errors) > 0 then
    raise exception 'invalid delete of flow %: %', p_flow_id, v_errors[1]
      using errcode = 'FS001', detail = jsonb_build_object('flow_id', p_flow_id, 'errors', v_errors)::text;
  end if;

  perform from flowstate.flows f where f.flow_id = p_flow_id for update;
  v_found := found;
  if not v_found then
    -- Erased before, by this tenant (another tenant's flow stays indistinguishable from none).
    select e.erased_at into v_erased_at from flowstate.erasures e
     where e.flow_id = p_flow_id and e.action = 'delete'
       and (current_setting('flowstate.all_tenants') = 'on'
            or (e.client_account_id, e.engagement_id) = ((p_context ->> 'client_account_id')::uuid, (p_context ->> 'engagement_id')::uuid))
     order by e.erasure_id desc limit 1;
    if v_erased_at is not null then
      raise exception 'flow % was erased already', p_flow_id
        using errcode = 'FS008', detail = jsonb_build_object('flow_id', p_flow_id, 'erased_at', flowstate._iso(v_erased_at))::text;
    end if;
    if current_setting('flowstate.all_tenants') <> 'on' then
      raise exception 'flow % not found', p_flow_id
        using errcode = 'FS004', detail = jsonb_build_object('flow_id', p_flow_id)::text;
    end if;
  end if;

  select * into v_tombstone from flowstate._erase_flows(array[p_flow_id], p_reason);
  if not v_found and (select sum(c.value::bigint) from jsonb_each_text(v_tombstone.row_counts) c) = 0 then
    -- Nothing at all under this id: no tombstone either (the exception undoes it).
    raise exception 'flow % not found', p_flow_id
      using errcode = 'FS004', detail = jsonb_build_object('flow_id', p_flow_id)::text;
  end if;
  return flowstate._tombstone(v_tombstone);
end;
$$;

comment on function flowstate.flow_delete(uuid, text, jsonb) is
'Erase a flow and all its content (state, checkpoints, quarantine, pending feedback, legacy rows and import record, audit history, and its rows in any other flowstate table), leaving a tombstone in flowstate.erasures: tenant, who, when, p_reason, rows removed per table, no content. The id can never be used again. Forks of the flow stay. Admins (NULL context) may also erase the leftovers of a flow without a row. Returns the tombstone. Errors: FS001 invalid context or reason, FS004 not found for this tenant, FS008 erased already.';
