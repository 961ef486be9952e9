-- The pending-feedback family: a flow paused for human feedback keeps its feedback context
-- beside its state. Saving both is one call (one transaction); loading returns both.

-- flowstate.flow_save_pending_feedback
-- Put the flow's state (as flow_put_state does, audited with p_label) and record the pause.
-- p_request_id (optional): a retry with the same request id returns this call's result
-- instead of writing again (see 25_request_ids.sql).
-- Returns the stored document without state_data. Raises FS001, FS003, FS005 as flow_put_state
-- (FS001 also for p_feedback over max_feedback_bytes).
drop function if exists flowstate.flow_save_pending_feedback(uuid, jsonb, jsonb, text, jsonb, text);
create or replace function flowstate.flow_save_pending_feedback(
  p_flow_id uuid, p_state jsonb, p_feedback jsonb, p_label text, p_context jsonb, p_external_id text default null,
  p_request_id uuid default null
)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_replayed jsonb := flowstate._request_replay(p_flow_id, p_request_id, 'flow_save_pending_feedback', p_context);
  v_checked boolean := flowstate._check_size('p_feedback', flowstate._jsonb_bytes(p_feedback), 'max_feedback_bytes', p_flow_id)
                   and flowstate._check_size('p_label', octet_length(p_label), 'max_label_bytes', p_flow_id)
                   and flowstate._check_size('p_external_id', octet_length(p_external_id), 'max_label_bytes', p_flow_id);
  v_document jsonb;
begin
  if v_replayed is not null then return v_replayed; end if;
  if jsonb_typeof(p_feedback) is distinct from 'object' then
    raise exception 'flow % feedback context is invalid', p_flow_id
      using errcode = 'FS001', detail = jsonb_build_object('flow_id', p_flow_id, 'errors', jsonb_build_array(
        'The feedback context must be a JSON object.'))::text;
  end if;
  v_document := flowstate._write_state(p_flow_id, p_state, null, false, p_label, p_context, 'put', p_external_id);
  perform flowstate._record_pause(p_flow_id, p_feedback);
  return flowstate._request_remember(p_flow_id, p_request_id, 'flow_save_pending_feedback', v_document);
end;
$$;

comment on function flowstate.flow_save_pending_feedback(uuid, jsonb, jsonb, text, jsonb, text, uuid) is
'Save a flow''s state (like flow_put_state, audited with p_label) and record it as paused for human feedback with p_feedback, in one transaction. With p_request_id, a retry (same flow, same request id) returns the first call''s result and changes nothing. Returns the stored document without state_data. Errors: FS001, FS003, FS005 as flow_put_state (FS001 also for p_feedback over max_feedback_bytes).';

-- flowstate.flow_load_pending_feedback
-- {"state": the current document, "feedback": the pause's context, "paused_at": ...}, or
-- NULL when the flow is not paused (or missing, or another tenant's). Raises FS001 (context).
create or replace function flowstate.flow_load_pending_feedback(p_flow_id uuid, p_context jsonb)
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  if flowstate._context(p_context) then
    return (select jsonb_build_object('state', flowstate._document(f, true), 'feedback', p.feedback,
                                      'paused_at', flowstate._iso(p.created_at))
              from flowstate.flows f join flowstate.pending_feedback p on p.flow_id = f.flow_id
             where f.flow_id = p_flow_id);
  end if;
end;
$$;

comment on function flowstate.flow_load_pending_feedback(uuid, jsonb) is
'The state and pending human-feedback context of a paused flow: {state, feedback, paused_at}; NULL when it is not paused, missing or another tenant''s. Errors: FS001 invalid context.';

-- flowstate.flow_clear_pending_feedback
-- Forget a flow's pause (after it resumed). Returns whether there was one (to a retry with
-- the same p_request_id: what the first call returned). Raises FS001.
drop function if exists flowstate.flow_clear_pending_feedback(uuid, jsonb);
create or replace function flowstate.flow_clear_pending_feedback(p_flow_id uuid, p_context jsonb, p_request_id uuid default null)
returns boolean
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_replayed jsonb := flowstate._request_replay(p_flow_id, p_request_id, 'flow_clear_pending_feedback', p_context);
  v_cleared jsonb;
begin
  if v_replayed is not null then return v_replayed::boolean; end if;
  if flowstate._context(p_context) then
    delete from flowstate.pending_feedback p
     where p.flow_id = p_flow_id and exists (select from flowstate.flows f where f.flow_id = p_flow_id);
    v_cleared := to_jsonb(found);
    return flowstate._request_remember(p_flow_id, p_request_id, 'flow_clear_pending_feedback', v_cleared)::boolean;
  end if;
end;
$$;

comment on function flowstate.flow_clear_pending_feedback(uuid, jsonb, uuid) is
'Remove a flow''s pending human-feedback record (after it resumed); returns whether one existed. With p_request_id, a retry (same flow, same request id) returns the first call''s result and changes nothing. Another tenant''s flow counts as missing. Errors: FS001 invalid context.';
