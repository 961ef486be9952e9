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
-- NOTIFY flowstate_alerts with a JSON payload an operator can act on. NOTIFY refuses more
-- than 8000 bytes, and cutting JSON text breaks it, so long values are shortened field by
-- field (a corrupted phase name can be huge) and the details are dropped, never the flow's
-- identity, if it is still too long. Delivered when the transaction commits, never before.
create or replace function flowstate._alert(p_event text, p_flow flowstate.flows, p_extra jsonb)
returns void
language plpgsql
as $$
declare
  v_payload jsonb := jsonb_build_object(
    'event', p_event,
    'flow_id', p_flow.flow_id,
    'flow_type', p_flow.flow_type,
    'flow_version', p_flow.flow_version,
    'current_phase', left(p_flow.current_phase, 200),
    'client_account_id', p_flow.client_account_id,
    'engagement_id', p_flow.engagement_id,
    'actor_user_id', nullif(current_setting('flowstate.user_id', true), ''),
    'actor_role', flowstate._caller_role(),
    'at', flowstate._iso(clock_timestamp()));
  v_extra jsonb := (select coalesce(jsonb_object_agg(e.key, case jsonb_typeof(e.value)
                      when 'string' then to_jsonb(left(e.value #>> '{}', 300))
                      when 'array' then (select coalesce(jsonb_agg(case jsonb_typeof(x) when 'string' then to_jsonb(left(x #>> '{}', 300)) else x end), '[]')
                                           from (select x from jsonb_array_elements(e.value) x limit 5) a)
                      else e.value end), '{}')
                      from jsonb_each(p_extra) e);
begin
  if octet_length((v_payload || v_extra)::text) < 7900 then
    v_payload := v_payload || v_extra;
  else
    v_payload := v_payload || jsonb_build_object('details_dropped', true);
  end if;
  perform pg_notify('flowstate_alerts', v_payload::text);
end;
$$;

comment on function flowstate._alert(text, flowstate.flows, jsonb) is
'Internal. NOTIFY flowstate_alerts with a JSON payload (event, flow, tenant, actor, time, details), shortened to fit NOTIFY''s 8000-byte limit without ever breaking the JSON.';
