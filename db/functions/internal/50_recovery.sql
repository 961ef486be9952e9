-- Shared by checkpoint recovery, failed-flow recovery and corruption handling.

-- flowstate._restore
-- Write p_content (a checkpoint snapshot) back as the flow's next version, status recovered
-- (a restored `completed` stays completed). History is never rewritten: this is a new version,
-- audited as `recover` with p_label (the checkpoint id).
create or replace function flowstate._restore(p_flow_id uuid, p_content jsonb, p_label text)
returns flowstate.flows
language plpgsql
as $$
declare
  v_flow flowstate.flows;
  v_published text;  -- set_config() results, unused
begin
  v_published := set_config('flowstate.operation', 'recover', true) || set_config('flowstate.label', p_label, true);
  update flowstate.flows f
     set current_phase = p_content ->> 'current_phase',
         phases_completed = array(select jsonb_array_elements_text(p_content -> 'phases_completed')),
         failed_phase = p_content ->> 'failed_phase',
         status = flowstate._status(p_content ->> 'current_phase', 'recovered', 'recovered'),
         state_data = p_content -> 'state_data',
         metadata = coalesce(p_content -> 'metadata', '{}') - '{client_account_id,engagement_id,user_id}'::text[],
         last_label = p_label
   where f.flow_id = p_flow_id
  returning * into v_flow;
  v_published := set_config('flowstate.operation', '', true);
  perform flowstate._alert('flow_recovered', v_flow, jsonb_build_object('restored', p_label));
  return v_flow;
end;
$$;

comment on function flowstate._restore(uuid, jsonb, text) is
'Internal. Restore a snapshot as the flow''s next version with status recovered, and alert.';

-- flowstate._alert
-- Record an alert (flowstate.alerts) and NOTIFY flowstate_alerts with {"event", "alert_id"}
-- only: any role may LISTEN to any channel, so the notification carries nothing a listener
-- could use (no flow or tenant id). The details (flow, tenant, versions, actor, time and
-- p_extra) are read through flowstate.flow_alert, which checks the caller's context.
-- Delivered when the transaction commits, never before, together with the row.
create or replace function flowstate._alert(p_event text, p_flow flowstate.flows, p_extra jsonb)
returns void
language plpgsql
as $$
declare
  v_alert_id uuid;
begin
  insert into flowstate.alerts (flow_id, event, client_account_id, engagement_id, details)
  values (p_flow.flow_id, p_event, p_flow.client_account_id, p_flow.engagement_id,
          coalesce(p_extra, '{}') || jsonb_build_object(
            'flow_type', p_flow.flow_type,
            'flow_version', p_flow.flow_version,
            'current_phase', p_flow.current_phase,
            'actor_user_id', nullif(current_setting('flowstate.user_id', true), ''),
            'actor_role', flowstate._caller_role()))
  returning alert_id into v_alert_id;
  perform pg_notify('flowstate_alerts', jsonb_build_object('event', p_event, 'alert_id', v_alert_id)::text);
end;
$$;

comment on function flowstate._alert(text, flowstate.flows, jsonb) is
'Internal. Record an alert with its details in flowstate.alerts and NOTIFY flowstate_alerts with {event, alert_id} only (read the details with flow_alert).';
