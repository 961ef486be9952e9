-- flowstate.flow_erase_tenant
-- The right to erasure for a whole tenant: erase (as flow_delete does, a tombstone each) up
-- to p_limit flows of client account p_client_account_id, of engagement p_engagement_id or
-- of every engagement when it is NULL. Flows locked by a running call are skipped for now.
-- Run it again until "more" is false. Admins only. Returns {client_account_id,
-- engagement_id, erased, rows (removed per table), more}. Raises FS001 (not an admin,
-- arguments).
create or replace function flowstate.flow_erase_tenant(
  p_client_account_id uuid, p_engagement_id uuid, p_reason text, p_limit integer default 1000
)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_errors text[];
  v_ids uuid[];
  v_tombstones flowstate.erasures[];
begin
  perform flowstate._context(null);  -- raises FS001 unless the caller is an admin
  v_errors := flowstate._reason_errors(p_reason);
  if p_client_account_id is null then
    v_errors := 'p_client_account_id is required (p_engagement_id NULL means every engagement).'::text || v_errors;
  end if;
  p_limit := coalesce(p_limit, 1000);  -- NULL: the default
  if p_limit < 1 or p_limit > 100000 then
    v_errors := v_errors || format('p_limit must be between 1 and 100000, not %s.', p_limit);
  end if;
  if cardinality(v_errors) > 0 then
    raise exception 'invalid tenant erasure: %', v_errors[1]
      using errcode = 'FS001', detail = jsonb_build_object('errors', v_errors)::text;
  end if;

  select array_agg(c.flow_id) into v_ids
    from (select f.flow_id from flowstate.flows f
           where f.client_account_id = p_client_account_id
             and (p_engagement_id is null or f.engagement_id = p_engagement_id)
           limit p_limit
           for update skip locked) c;
  if v_ids is not null then
    v_tombstones := array(select t from flowstate._erase_flows(v_ids, p_reason) t);
  end if;
  return jsonb_build_object(
    'client_account_id', p_client_account_id,
    'engagement_id', p_engagement_id,
    'erased', coalesce(cardinality(v_ids), 0),
    'rows', flowstate._row_totals(v_tombstones),
    'more', exists (select from flowstate.flows f
                     where f.client_account_id = p_client_account_id
                       and (p_engagement_id is null or f.engagement_id = p_engagement_id)));
end;
$$;

comment on function flowstate.flow_erase_tenant(uuid, uuid, text, integer) is
'Erase up to p_limit flows (NULL: 1000) of a tenant (p_engagement_id NULL: every engagement of the client account), each as flow_delete does, with a tombstone; flows locked right now are left for the next run. Run again while "more" is true. Admins only. Returns {client_account_id, engagement_id, erased, rows (removed per table), more}. Errors: FS001 not an admin or invalid arguments.';
