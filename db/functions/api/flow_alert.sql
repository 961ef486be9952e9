-- flowstate.flow_alert
-- The details of an alert, whose notification on flowstate_alerts carries only
-- {"event", "alert_id"}: {alert_id, event, flow_id, flow_type, flow_version, current_phase,
-- client_account_id, engagement_id, actor_user_id, actor_role, at} and the event's own keys
-- (restored for flow_recovered; quarantine_id, archived_version, errors for
-- corrupted_state_reset). For the flow's tenant, or an admin passing NULL; NULL for another
-- tenant's alert, exactly as for an unknown id. Raises FS001 (context).
create or replace function flowstate.flow_alert(p_alert_id uuid, p_context jsonb)
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  if flowstate._context(p_context) then
    return (select a.details || jsonb_build_object(
                     'alert_id', a.alert_id, 'event', a.event, 'flow_id', a.flow_id,
                     'client_account_id', a.client_account_id, 'engagement_id', a.engagement_id,
                     'at', flowstate._iso(a.created_at))
              from flowstate.alerts a
             where a.alert_id = p_alert_id);
  end if;
end;
$$;

comment on function flowstate.flow_alert(uuid, jsonb) is
'The details of an alert sent on channel flowstate_alerts (whose payload is only {event, alert_id}): event, flow, tenant, version, phase, actor, time and the event''s own keys. NULL for another tenant''s alert or an unknown id, alike; admins may pass a NULL context. Errors: FS001 invalid context.';
