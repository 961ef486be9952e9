-- flowstate.flow_record_step
-- Record one step of a flow whose caller cannot know the stored phases (CrewAI's blind
-- save_state): under the row lock, p_phase becomes current_phase and the phase it leaves (if
-- different, and not completed already) joins phases_completed; state_data is replaced whole.
-- A missing flow is created (p_flow_type, default: the stored type, else 'crewai').
-- p_expected_version: NULL = last writer wins (like flow_put_state); 0 = the flow must not
-- exist yet; n >= 1 = compare-and-set. p_feedback (optional): also record the flow as paused
-- for human feedback, as flow_save_pending_feedback does, in the same transaction; the stored
-- status is then `paused`, otherwise `running`. p_label (the method name) and p_external_id are
-- recorded as by flow_put_state. p_metadata (optional, an object) is merged into the stored
-- metadata, its keys replacing theirs (the CrewAI backend records the flow's class and whether
-- it finished). p_phase and p_state_data NULL on an existing flow keep the stored phase, state
-- and status: a step that records metadata only.
-- p_request_id (optional): a retry with the same request id returns this call's result
-- instead of writing again (see 25_request_ids.sql).
-- Returns the stored document without state_data. Raises FS001 (invalid, or a side input over
-- its limit in flowstate.settings), FS002 (stale or, with 0, existing), FS003 (the stored phase is terminal), FS004 (n >= 1 and missing), FS005 (the id
-- is another tenant's).
drop function if exists flowstate._step_document(uuid, flowstate.flows, text, jsonb, text, text);
create or replace function flowstate._step_document(
  p_flow_id uuid, p_old flowstate.flows, p_phase text, p_state_data jsonb, p_flow_type text, p_status text,
  p_metadata jsonb
)
returns jsonb
language plpgsql
immutable
as $$
begin
  -- PL/pgSQL, not SQL: a SQL function called from PL/pgSQL is planned again in every transaction.
  return jsonb_build_object(
    'flow_id', p_flow_id,
    'flow_type', coalesce(p_flow_type, p_old.flow_type, 'crewai'),
    'current_phase', coalesce(p_phase, p_old.current_phase),
    -- Leaving a terminal phase adds nothing here; the write refuses it (FS003).
    'phases_completed', to_jsonb((flowstate._phase_change(p_old.current_phase, p_old.phases_completed,
                                                          p_old.failed_phase, coalesce(p_phase, p_old.current_phase))).phases_completed),
    -- A step named completed or failed ends the flow: its status is the phase's. A
    -- metadata-only step keeps the stored status.
    'status', case when p_phase in ('completed', 'failed') then p_phase
                   when p_phase is null and p_state_data is null then coalesce(p_old.status, p_status)
                   else p_status end,
    'state_data', coalesce(p_state_data, p_old.state_data),
    'metadata', coalesce(p_old.metadata, '{}') || coalesce(p_metadata, '{}'));
end;
$$;

comment on function flowstate._step_document(uuid, flowstate.flows, text, jsonb, text, text, jsonb) is
'Internal. The document flow_record_step writes: p_phase current, the stored current phase moved into phases_completed, p_metadata merged into the stored metadata (NULL p_phase and p_state_data: the stored ones).';

drop function if exists flowstate.flow_record_step(uuid, text, jsonb, text, jsonb, bigint, text, text, jsonb);
drop function if exists flowstate.flow_record_step(uuid, text, jsonb, text, jsonb, bigint, text, text, jsonb, uuid);
create or replace function flowstate.flow_record_step(
  p_flow_id uuid, p_phase text, p_state_data jsonb, p_label text, p_context jsonb,
  p_expected_version bigint default null, p_external_id text default null,
  p_flow_type text default null, p_feedback jsonb default null, p_request_id uuid default null,
  p_metadata jsonb default null
)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_replayed jsonb;
  v_claimed boolean := false;  -- the request id was claimed first (a flow to create)
  v_checked boolean := flowstate._check_size('p_phase', octet_length(p_phase), 'max_name_bytes', p_flow_id)
                   and flowstate._check_size('p_flow_type', octet_length(p_flow_type), 'max_name_bytes', p_flow_id)
                   and flowstate._check_size('p_label', octet_length(p_label), 'max_label_bytes', p_flow_id)
                   and flowstate._check_size('p_external_id', octet_length(p_external_id), 'max_label_bytes', p_flow_id)
                   and flowstate._check_size('p_feedback', flowstate._jsonb_bytes(p_feedback), 'max_feedback_bytes', p_flow_id);
  v_published boolean;
  v_old flowstate.flows;
  v_status text := case when p_feedback is null then 'running' else 'paused' end;
  v_document jsonb;
begin
  v_published := flowstate._context(p_context);
  if p_feedback is not null and jsonb_typeof(p_feedback) is distinct from 'object' then
    raise exception 'flow % feedback context is invalid', p_flow_id
      using errcode = 'FS001', detail = jsonb_build_object('flow_id', p_flow_id, 'errors', jsonb_build_array(
        'The feedback context must be a JSON object.'))::text;
  end if;
  if p_metadata is not null and jsonb_typeof(p_metadata) is distinct from 'object' then
    raise exception 'flow % metadata is invalid', p_flow_id
      using errcode = 'FS001', detail = jsonb_build_object('flow_id', p_flow_id, 'errors', jsonb_build_array(
        'p_metadata must be a JSON object.'))::text;
  end if;
  if p_expected_version < 0 then
    raise exception 'flow %: p_expected_version must not be negative', p_flow_id
      using errcode = 'FS001', detail = jsonb_build_object('flow_id', p_flow_id, 'errors', jsonb_build_array(
        format('p_expected_version must be 0 (must not exist) or a version, not %s.', p_expected_version)))::text;
  end if;

  select * into v_old from flowstate.flows f where f.flow_id = p_flow_id for update;
  -- An existing flow's request id is looked up under its row lock and remembered by the write's
  -- statement; a flow to create claims it first (see flowstate._request_result).
  if v_old.flow_id is not null then
    v_replayed := flowstate._request_result(p_flow_id, p_request_id, 'flow_record_step', v_old.generation);
  else
    v_replayed := flowstate._request_replay(p_flow_id, p_request_id, 'flow_record_step', p_context);
    v_claimed := p_request_id is not null;
  end if;
  if v_replayed is not null then
    return v_replayed;
  end if;

  -- A plain step of an open-type flow (every CrewAI step) is written here: the row is locked and
  -- its request id looked up above, and an open type allows the phases _step_document derives
  -- from any phase but a terminal one (a test proves it), so only the document's quick tests
  -- remain. Anything else, or a document they cannot vouch for, goes through _write_state,
  -- which explains itself.
  if v_old.flow_id is not null and p_phase is not null and p_state_data is not null
     and coalesce(p_expected_version, v_old.flow_version) = v_old.flow_version
     and coalesce(p_flow_type, v_old.flow_type) = v_old.flow_type
     and v_old.current_phase not in ('completed', 'failed') and p_phase not in ('completed', 'failed')
     and (select t.is_open from flowstate.flow_types t where t.flow_type = v_old.flow_type) then
    v_document := flowstate._step_document(p_flow_id, v_old, p_phase, p_state_data, p_flow_type, v_status, p_metadata);
    if flowstate._looks_valid(v_document) and flowstate._within_limits(v_document)
       and flowstate._phases_fit(v_document, v_old.flow_type, p_walk => false) then
      v_document := flowstate._write_flow(v_old, flowstate._fast_row(v_old, v_document, p_label, p_external_id), 'put',
                                          (p_context ->> 'user_id')::uuid, p_label, p_request_id, 'flow_record_step');
    else
      v_document := null;
    end if;
  end if;

  if v_document is null and v_old.flow_id is null and coalesce(p_expected_version, 0) = 0 then
    begin
      v_document := flowstate._write_state(p_flow_id,
        flowstate._step_document(p_flow_id, null, p_phase, p_state_data, p_flow_type, v_status, p_metadata),
        null, true, p_label, p_context, 'put', p_external_id);
    exception when sqlstate 'FS005' then
      -- Created meanwhile by another call: go on against that (or it is another tenant's).
      select * into v_old from flowstate.flows f where f.flow_id = p_flow_id for update;
      if v_old.flow_id is null then
        raise;
      end if;
    end;
  end if;

  if v_document is null then
    if p_expected_version = 0 then
      raise exception 'flow % was modified concurrently: expected no flow, found version %', p_flow_id, v_old.flow_version
        using errcode = 'FS002',
              detail = jsonb_build_object('flow_id', p_flow_id, 'expected', 0, 'actual', v_old.flow_version)::text;
    end if;
    v_document := flowstate._write_state(p_flow_id,
      flowstate._step_document(p_flow_id, v_old, p_phase, p_state_data, p_flow_type, v_status, p_metadata),
      p_expected_version, p_expected_version is not null, p_label, p_context, 'put', p_external_id,
      p_request_id => case when not v_claimed then p_request_id end, p_request_function => 'flow_record_step');
  end if;

  if p_feedback is not null then
    perform flowstate._record_pause(p_flow_id, p_feedback);
  end if;
  if not v_claimed then
    return v_document;
  end if;
  return flowstate._request_remember(p_flow_id, p_request_id, 'flow_record_step', v_document);
end;
$$;

comment on function flowstate.flow_record_step(uuid, text, jsonb, text, jsonb, bigint, text, text, jsonb, uuid, jsonb) is
'Record one step of a flow whose caller does not know the stored phases (CrewAI''s save_state): under the row lock p_phase becomes current and the phase it leaves joins phases_completed; state_data is replaced. Creates a missing flow (type p_flow_type, else the stored type, else crewai). p_expected_version NULL: last writer wins; 0: the flow must not exist; n: compare-and-set. With p_feedback, also records a pause for human feedback (status paused) in the same transaction. p_label and p_external_id as flow_put_state. With p_request_id, a retry (same flow, same request id) returns the first call''s result and changes nothing. p_metadata (an object) is merged into the stored metadata; p_phase and p_state_data NULL on an existing flow keep the stored phase, state and status (a metadata-only step). Returns the stored document without state_data. Errors: FS001 invalid (p_metadata not an object, or p_phase, p_flow_type, p_label, p_external_id, p_feedback over its limit in flowstate.settings), FS002 stale (or exists, with 0), FS003 terminal phase, FS004 missing (with n), FS005 another tenant''s id.';
