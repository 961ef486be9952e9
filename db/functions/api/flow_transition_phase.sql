-- flowstate.flow_transition_phase
-- Move a flow to p_new_phase if its type's graph allows it: the current phase joins
-- phases_completed (except when moving to `failed`, which records the phase that failed).
-- NULL p_expected_version skips the version check; the move is still computed from the
-- stored state under a row lock.
-- p_request_id (optional): a retry with the same request id returns this call's result
-- instead of writing again (see 25_request_ids.sql).
-- Returns the stored document without state_data.
-- Raises FS001 (context, p_new_phase over max_name_bytes, p_expected_version below 1), FS002 (stale), FS003 (not allowed), FS004 (not found).
drop function if exists flowstate.flow_transition_phase(uuid, text, bigint, jsonb);
create or replace function flowstate.flow_transition_phase(
  p_flow_id uuid, p_new_phase text, p_expected_version bigint, p_context jsonb, p_request_id uuid default null
)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_replayed jsonb;
  v_checked boolean := flowstate._check_size('p_new_phase', octet_length(p_new_phase), 'max_name_bytes', p_flow_id);
  v_published text;  -- set_config() results, unused
  v_flow flowstate.flows;
  v_new flowstate.flows;
  v_change record;
  v_error text;
begin
  v_published := flowstate._context(p_context)::text;
  v_flow := flowstate._locked_flow(p_flow_id, p_expected_version, p_check_stale => p_request_id is null);
  if p_request_id is not null then
    -- Looked up under the row lock, before the version check (a retry of a call that moved the
    -- flow on returns its result), and remembered by the write's statement; see
    -- flowstate._request_result.
    v_replayed := flowstate._request_result(p_flow_id, p_request_id, 'flow_transition_phase', v_flow.generation);
    if v_replayed is not null then
      return v_replayed;
    end if;
    if p_expected_version is not null and v_flow.flow_version <> p_expected_version then
      perform flowstate._raise_stale(p_flow_id, p_expected_version, v_flow.flow_version);
    end if;
  end if;
  v_error := flowstate._transition_error(v_flow.flow_type, v_flow.current_phase, v_flow.phases_completed, p_new_phase);
  if v_error is not null then
    raise exception 'flow %: %', p_flow_id, v_error
      using errcode = 'FS003', detail = jsonb_build_object('flow_id', p_flow_id,
        'from_phase', v_flow.current_phase, 'to_phase', p_new_phase,
        'allowed', flowstate._allowed_next(v_flow.flow_type, v_flow.current_phase), 'reason', v_error)::text;
  end if;

  v_change := flowstate._phase_change(v_flow.current_phase, v_flow.phases_completed, v_flow.failed_phase, p_new_phase);
  v_new := v_flow;  -- v_flow is locked
  v_new.current_phase := p_new_phase;
  v_new.phases_completed := v_change.phases_completed;
  v_new.failed_phase := v_change.failed_phase;
  v_new.status := flowstate._status(p_new_phase, 'running', v_flow.status);
  return flowstate._write_flow(v_flow, v_new, 'transition', (p_context ->> 'user_id')::uuid, null,
                               p_request_id, 'flow_transition_phase');
end;
$$;

comment on function flowstate.flow_transition_phase(uuid, text, bigint, jsonb, uuid) is
'Move a flow to p_new_phase if its flow type''s graph allows it; the current phase is marked completed (moving to failed records failed_phase instead). NULL p_expected_version skips the version check (still atomic under a row lock). With p_request_id, a retry (same flow, same request id) returns the first call''s result and changes nothing. Returns the stored document without state_data. Errors: FS001 invalid context (or p_new_phase over max_name_bytes, p_expected_version below 1), FS002 stale, FS003 not allowed (DETAIL.allowed lists the legal next phases), FS004 not found.';
