-- Twins for comparing flow_save_states with one call per item: the same named flows for
-- two tenants (flowstate_tests.named), one call as an item would make it with its refusal
-- caught as the batch reports it (flowstate_tests.one_call), and each tenant's flows, audit
-- rows and request ids by name, without what names the tenant, the flow or the moment.

create table flowstate_tests.named (tenant int, name text, flow_id uuid);
grant select on flowstate_tests.named to public;
create function flowstate_tests.id(p_tenant int, p_name text) returns uuid language sql stable as $$
  select flow_id from flowstate_tests.named where tenant = p_tenant and name = p_name
$$;
-- One call as flow_save_states' item would make it, its refusal caught as the batch reports it.
create function flowstate_tests.one_call(p_item jsonb, p_context jsonb) returns jsonb language plpgsql as $$
declare
  v_state text;
begin
  if (p_item -> 'put') = 'true' then
    return jsonb_build_object('ok', true, 'document', flowstate.flow_put_state(
      (p_item ->> 'flow_id')::uuid, p_item -> 'state', p_item ->> 'label', p_context,
      p_request_id => (p_item ->> 'request_id')::uuid));
  end if;
  return jsonb_build_object('ok', true, 'document', flowstate.flow_save_state(
    (p_item ->> 'flow_id')::uuid, p_item -> 'state', (p_item ->> 'expected_version')::bigint, p_context,
    (p_item ->> 'request_id')::uuid));
exception when others then
  get stacked diagnostics v_state = returned_sqlstate;
  return jsonb_build_object('ok', false, 'sqlstate', v_state);
end;
$$;
create function pg_temp.unnamed(p_doc jsonb) returns jsonb language sql immutable as $$
  select p_doc - '{flow_id,created_at,updated_at}'::text[]
           #- '{metadata,client_account_id}' #- '{metadata,engagement_id}' #- '{metadata,user_id}'
$$;
create function pg_temp.flows_of(p_tenant int) returns table (name text, document jsonb) language sql as $$
  select n.name, pg_temp.unnamed(flowstate._document(f, true))
    from flowstate_tests.named n join flowstate.flows f using (flow_id) where n.tenant = p_tenant
$$;
create function pg_temp.audit_of(p_tenant int) returns table (name text, new_version bigint, audit_row text) language sql as $$
  select n.name, a.new_version,
         row(a.operation, a.old_version, a.old_phase, a.new_phase, a.actor_user_id, a.actor_role, a.label, a.changes,
             pg_temp.unnamed(a.snapshot))::text
    from flowstate_tests.named n join flowstate.audit_log a using (flow_id) where n.tenant = p_tenant
$$;
create function pg_temp.requests_of(p_tenant int) returns table (name text, request_id uuid, operation text, result jsonb) language sql as $$
  select n.name, r.request_id, r.operation, pg_temp.unnamed(r.result)
    from flowstate_tests.named n join flowstate.request_ids r using (flow_id) where n.tenant = p_tenant
$$;
create function pg_temp.tallies_of(p_tenant int) returns text[] language sql as $$
  select array_agg(row(t.flow_type, t.current_phase, t.status, t.flows)::text order by t.flow_type, t.current_phase, t.status)
    from (select flow_type, current_phase, status, sum(flows) as flows from flowstate.flow_tallies
           where client_account_id = (flowstate_tests.ctx(p_tenant) ->> 'client_account_id')::uuid group by 1, 2, 3) t
$$;
create function pg_temp.writes_of(p_tenant int) returns numeric language sql as $$
  select sum(writes) from flowstate.activity_tallies where client_account_id = (flowstate_tests.ctx(p_tenant) ->> 'client_account_id')::uuid
$$;
-- A batch result or a one_call result, without names, message or detail.
create function pg_temp.outcome(p_result jsonb) returns jsonb language sql immutable as $$
  select pg_temp.unnamed(p_result - 'flow_id' - 'message' - 'detail') || jsonb_build_object('document', pg_temp.unnamed(p_result -> 'document'))
$$;
