-- flowstate.flow_handle_corrupted
-- Archive a flow's current document unchanged in flowstate.quarantine (with the problems
-- validation finds in it), reset the flow to its type's initial state as the next version,
-- and NOTIFY flowstate_alerts. Returns {quarantine_id, errors, document} (document: the reset
-- one).
-- p_request_id (optional): a retry with the same request id returns this call's result
-- instead of writing again (see 25_request_ids.sql).
-- Raises FS001 (context), FS004 (not found).
drop function if exists flowstate.flow_handle_corrupted(uuid, jsonb);
create or replace function flowstate.flow_handle_corrupted(p_flow_id uuid, p_context jsonb, p_request_id uuid default null)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_replayed jsonb := flowstate._request_replay(p_flow_id, p_request_id, 'flow_handle_corrupted', p_context);
  v_flow flowstate.flows;
  v_document jsonb;
  v_report jsonb;
  v_errors text[];
  v_quarantine_id uuid;
  v_published text;  -- set_config() results, unused
begin
  if v_replayed is not null then return v_replayed; end if;
  perform flowstate._context(p_context);
  v_flow := flowstate._locked_flow(p_flow_id, null);
  v_document := flowstate._document(v_flow, true);
  v_errors := flowstate._validation_errors(v_document, v_flow.flow_type);
  insert into flowstate.quarantine (flow_id, generation, flow_version, document, errors, archived_by,
                                    client_account_id, engagement_id)
  values (p_flow_id, v_flow.generation, v_flow.flow_version, v_document, v_errors, nullif(current_setting('flowstate.user_id', true), '')::uuid,
          v_flow.client_account_id, v_flow.engagement_id)
  returning quarantine_id into v_quarantine_id;

  v_published := set_config('flowstate.operation', 'reset', true) || set_config('flowstate.label', v_quarantine_id::text, true);
  update flowstate.flows f
     set current_phase = coalesce(t.initial_phase, 'start'),
         phases_completed = '{}',
         failed_phase = null,
         status = 'running',
         state_data = '{}',
         last_label = v_quarantine_id::text
    from flowstate.flow_types t
   where f.flow_id = p_flow_id and t.flow_type = f.flow_type
  returning f.* into v_flow;
  v_published := set_config('flowstate.operation', '', true);

  perform flowstate._alert('corrupted_state_reset', v_flow, jsonb_build_object(
    'quarantine_id', v_quarantine_id, 'archived_version', v_flow.flow_version - 1, 'errors', to_jsonb(v_errors[1:5])));
  v_report := jsonb_build_object('quarantine_id', v_quarantine_id, 'errors', to_jsonb(v_errors),
                                 'document', flowstate._document(v_flow, true));
  return flowstate._request_remember(p_flow_id, p_request_id, 'flow_handle_corrupted', v_report);
end;
$$;

comment on function flowstate.flow_handle_corrupted(uuid, jsonb, uuid) is
'Quarantine a flow''s current document unchanged (flowstate.quarantine, with the validation errors found in it), reset the flow to its type''s initial phase with empty state_data as the next version, and NOTIFY flowstate_alerts. With p_request_id, a retry (same flow, same request id) returns the first call''s result and changes nothing. Returns {quarantine_id, errors, document}. Errors: FS001 invalid context, FS004 not found.';
