-- flowstate._write_state
-- The one write path behind flow_save_state (p_check_version) and flow_put_state: check
-- the context, validate, then create, or compare-and-set / replace an existing flow.
-- Returns the stored document without state_data.
-- Raises FS001 (invalid; DETAIL lists every problem), FS002 (stale version), FS003 (illegal
-- phase change), FS004 (no such flow for this tenant), FS005 (id exists).
--
-- p_request_id (optional): the caller's request id, remembered with the result for
-- p_request_function (see 25_request_ids.sql); a retry returns the first call's result.
--
-- Fast path, the common save: the document passes flowstate._looks_valid, keeps its flow
-- type (read with the version in one query, which also finds no entry for the request id)
-- and its phases, or changes them legally (flowstate._phases_fit, _phase_change_error), and
-- flowstate._write_flow writes the row, its audit row and the request id's result in one
-- statement, compare-and-set on the version read. The request id is not claimed first: a
-- retry racing this call reads the version before this call's commit, so its
-- compare-and-set waits for that commit and fails, and its slow path replays. Anything else
-- (creation, a phase change the rules refuse, a refusal, a known request id) takes the slow
-- path, which locks the row, looks the request id up under that lock (a flow to create
-- claims it first), validates in full and explains itself.
drop function if exists flowstate._write_state(uuid, jsonb, bigint, boolean, text, jsonb, text);
drop function if exists flowstate._write_state(uuid, jsonb, bigint, boolean, text, jsonb, text, text);
create or replace function flowstate._write_state(
  p_flow_id uuid, p_state jsonb, p_expected_version bigint, p_check_version boolean,
  p_label text, p_context jsonb, p_operation text, p_external_id text default null,
  p_request_id uuid default null, p_request_function text default null
)
returns jsonb
language plpgsql
as $$
declare
  v_published text;  -- set_config() results, unused
  v_creating boolean := p_check_version and p_expected_version is null;
  v_old flowstate.flows;
  v_new flowstate.flows;
  v_type text;
  v_errors text[];
  v_phase_error text;
  v_metadata jsonb;
  v_left text;
  v_replayed jsonb;
  v_claimed boolean := false;  -- the request id was claimed first (flowstate._request_replay)
  v_document jsonb;
  -- The quick schema tests both paths use (flowstate._looks_valid, _within_limits), run once.
  v_quick boolean;
begin
  v_published := flowstate._context(p_context)::text;
  v_quick := flowstate._looks_valid(p_state) and flowstate._within_limits(p_state);

  -- Nested, not ANDed: SQL does not promise to evaluate the uuid cast after the check.
  if not v_creating and v_quick then
    if (p_state ->> 'flow_id')::uuid = p_flow_id then
      select * into v_old
        from flowstate.flows f
       where f.flow_id = p_flow_id
         and (f.flow_version = p_expected_version or not p_check_version)
         and f.flow_type = coalesce(p_state ->> 'flow_type', f.flow_type)
         and (p_request_id is null
              or not exists (select from flowstate.request_ids r
                              where r.flow_id = f.flow_id and r.request_id = p_request_id and r.generation = f.generation));
      if v_old.flow_id is not null then
        v_new := flowstate._fast_row(v_old, p_state, p_label, p_external_id);
        -- A phase change (every CrewAI step) stays here when the quick tests vouch for the
        -- phases and the move is legal; anything else is the slow path's to explain.
        if (v_new.current_phase, v_new.phases_completed) is distinct from (v_old.current_phase, v_old.phases_completed)
           and not (flowstate._phases_fit(p_state, v_old.flow_type, p_walk => false)
                    and flowstate._phase_change_error(v_old.flow_type, v_old.current_phase, v_old.phases_completed,
                                                      v_new.current_phase, v_new.phases_completed) is null) then
          v_new := null;
        end if;
      end if;
      if v_new.flow_id is not null then
        -- Compare-and-set on the version read: a write in between sends this one down the slow path.
        v_document := flowstate._write_flow(v_old, v_new, p_operation, (p_context ->> 'user_id')::uuid, p_label,
                                            p_request_id, p_request_function);
        if v_document is not null then
          return v_document;
        end if;
        -- Lost to a write committed in between: the slow path starts over from the locked row
        -- (a save raises FS002 there, a put writes after it), nothing of this attempt kept.
        v_old := null;
        v_new := null;
      end if;
    end if;
  end if;

  -- Slow path. A creation is audited by the trigger, told what this is by these settings.
  if p_flow_id is null then
    raise exception 'p_flow_id is required'
      using errcode = 'FS001', detail = jsonb_build_object('errors', jsonb_build_array('p_flow_id is required.'))::text;
  end if;
  if not v_creating then
    -- Lock first, so the stored flow type governs validation.
    select * into v_old from flowstate.flows where flow_id = p_flow_id for update;
  end if;
  -- An existing flow's request id is looked up under its row lock and remembered by the write's
  -- statement (flowstate._request_result); a flow to create claims it first.
  if v_old.flow_id is not null then
    v_replayed := flowstate._request_result(p_flow_id, p_request_id, p_request_function, v_old.generation);
  else
    v_replayed := flowstate._request_replay(p_flow_id, p_request_id, p_request_function, p_context);
    v_claimed := p_request_id is not null;
  end if;
  if v_replayed is not null then
    return v_replayed;
  end if;
  v_published := set_config('flowstate.operation', p_operation, true)
              || set_config('flowstate.label', coalesce(p_label, ''), true);
  v_type := coalesce(p_state ->> 'flow_type', v_old.flow_type, 'discovery');
  -- Quick tests first: a valid document (a creation, a write that lost its compare-and-set)
  -- skips the full validation, which names every problem of the others.
  if v_quick and flowstate._phases_fit(p_state, v_type, p_walk => v_old.flow_id is null) then
    v_errors := '{}';
  else
    v_errors := flowstate._validation_errors(p_state, v_type, p_walk => v_old.flow_id is null);
  end if;
  -- A well-formed flow_id (validation reports a malformed one) must name this flow.
  if flowstate._is_uuid(p_state ->> 'flow_id')
     and lower(p_state ->> 'flow_id') <> p_flow_id::text then
    v_errors := v_errors || format('flow_id in the document (%s) differs from p_flow_id (%s).', p_state ->> 'flow_id', p_flow_id);
  end if;
  if p_check_version and p_expected_version < 1 then
    v_errors := v_errors || format('p_expected_version must be at least 1, not %s.', p_expected_version);
  end if;
  if cardinality(v_errors) > 0 then
    raise exception 'flow % state is invalid: %', p_flow_id, v_errors[1]
      using errcode = 'FS001', detail = jsonb_build_object('flow_id', p_flow_id, 'errors', v_errors)::text;
  end if;
  v_metadata := coalesce(p_state -> 'metadata', '{}') - '{client_account_id,engagement_id,user_id}'::text[];

  if v_old.flow_id is null and (v_creating or not p_check_version) then
    -- Create. Flow ids are global: an id of any tenant conflicts.
    if current_setting('flowstate.all_tenants') = 'on'
       and not coalesce(p_state -> 'metadata' ?& '{client_account_id,engagement_id,user_id}'::text[], false) then
      raise exception 'flow % needs a tenant', p_flow_id
        using errcode = 'FS001', detail = jsonb_build_object('flow_id', p_flow_id, 'errors', jsonb_build_array(
          'Without a request context, metadata must name client_account_id, engagement_id and user_id.'))::text;
    end if;
    v_published := set_config('flowstate.operation', 'create', true);
    -- A new flow left no phase: the document's failed_phase, else its last completed phase,
    -- stands in for the phase a failed flow failed in.
    v_left := coalesce(p_state ->> 'failed_phase', p_state -> 'phases_completed' ->> -1, 'unknown');
    v_new := flowstate._insert_flow(p_flow_id, v_type,
      coalesce(p_context ->> 'client_account_id', p_state -> 'metadata' ->> 'client_account_id')::uuid,
      coalesce(p_context ->> 'engagement_id', p_state -> 'metadata' ->> 'engagement_id')::uuid,
      coalesce(p_context ->> 'user_id', p_state -> 'metadata' ->> 'user_id')::uuid,
      p_state ->> 'current_phase', array(select jsonb_array_elements_text(p_state -> 'phases_completed')),
      flowstate._status(p_state ->> 'current_phase', p_state ->> 'status', 'running'),
      (flowstate._phase_change(v_left, '{}', v_left, p_state ->> 'current_phase')).failed_phase,
      p_state -> 'state_data', v_metadata, p_label, p_external_id);
    if v_new.flow_id is null and not p_check_version then
      -- A put lost a creation race: replace what the winner wrote, if this tenant's.
      v_published := set_config('flowstate.operation', p_operation, true);
      select * into v_old from flowstate.flows where flow_id = p_flow_id for update;
    end if;
    if v_new.flow_id is null and v_old.flow_id is null then
      raise exception 'flow % already exists', p_flow_id
        using errcode = 'FS005', detail = jsonb_build_object('flow_id', p_flow_id)::text;
    end if;
  end if;

  if v_new.flow_id is null then
    if v_old.flow_id is null then
      perform flowstate._raise_not_found(p_flow_id);
    end if;
    if p_check_version and v_old.flow_version <> p_expected_version then
      perform flowstate._raise_stale(p_flow_id, p_expected_version, v_old.flow_version);
    end if;
    if v_type <> v_old.flow_type then
      raise exception 'flow % state is invalid: flow_type cannot change', p_flow_id
        using errcode = 'FS001', detail = jsonb_build_object('flow_id', p_flow_id, 'errors', jsonb_build_array(
          format('flow_type cannot change from %s to %s.', quote_literal(v_old.flow_type), quote_literal(v_type))))::text;
    end if;
    v_new := v_old;
    v_new.current_phase := p_state ->> 'current_phase';
    v_new.phases_completed := array(select jsonb_array_elements_text(p_state -> 'phases_completed'));
    v_phase_error := flowstate._phase_change_error(v_old.flow_type, v_old.current_phase, v_old.phases_completed,
                                                   v_new.current_phase, v_new.phases_completed);
    if v_phase_error is not null then
      raise exception 'flow %: %', p_flow_id, v_phase_error
        using errcode = 'FS003', detail = jsonb_build_object('flow_id', p_flow_id,
          'from_phase', v_old.current_phase, 'to_phase', v_new.current_phase,
          'allowed', flowstate._allowed_next(v_old.flow_type, v_old.current_phase), 'reason', v_phase_error)::text;
    end if;

    v_new.status := flowstate._status(v_new.current_phase, p_state ->> 'status', v_old.status);
    v_new.failed_phase := (flowstate._phase_change(v_old.current_phase, v_old.phases_completed, v_old.failed_phase,
                                                   v_new.current_phase)).failed_phase;
    v_new.state_data := p_state -> 'state_data';
    v_new.metadata := v_metadata;
    v_new.last_label := p_label;
    v_new.external_id := coalesce(v_old.external_id, p_external_id);
    v_document := flowstate._write_flow(v_old, v_new, p_operation, (p_context ->> 'user_id')::uuid, p_label,  -- v_old is locked
                                        case when not v_claimed then p_request_id end, p_request_function);
  end if;

  v_published := set_config('flowstate.operation', '', true);
  -- A variable, not the expression: a costly argument would keep _request_remember from being inlined.
  if v_document is null then  -- created
    v_document := flowstate._document(v_new, false);
  end if;
  if not v_claimed then
    return v_document;
  end if;
  return flowstate._request_remember(p_flow_id, p_request_id, p_request_function, v_document);
end;
$$;

comment on function flowstate._write_state(uuid, jsonb, bigint, boolean, text, jsonb, text, text, uuid, text) is
'Internal. The write path of flow_save_state (p_check_version) and flow_put_state, remembering the result under p_request_id (a retry returns it). Errors: FS001-FS005.';

-- flowstate._fast_row
-- The row a fast-path save (same flow type; see flowstate._write_state) makes of p_old from
-- p_state: phases, status, state_data, metadata, label and external id taken over; the
-- version, updated_at and history counters are flowstate._write_flow's (or the batch's).
-- A phase change, which the caller has checked, records failed_phase as flowstate._phase_change
-- does. One place for the lone save's fast path and flowstate._save_together's (which keeps
-- phases).
create or replace function flowstate._fast_row(p_old flowstate.flows, p_state jsonb, p_label text, p_external_id text)
returns flowstate.flows
language plpgsql
immutable
as $$
declare
  v_new flowstate.flows := p_old;
begin
  if p_old.current_phase is distinct from p_state ->> 'current_phase'
     or to_jsonb(p_old.phases_completed) is distinct from p_state -> 'phases_completed' then
    v_new.current_phase := p_state ->> 'current_phase';
    v_new.phases_completed := array(select jsonb_array_elements_text(p_state -> 'phases_completed'));
    v_new.failed_phase := (flowstate._phase_change(p_old.current_phase, p_old.phases_completed, p_old.failed_phase,
                                                   v_new.current_phase)).failed_phase;
  end if;
  v_new.status := flowstate._status(v_new.current_phase, p_state ->> 'status', p_old.status);
  v_new.state_data := p_state -> 'state_data';
  v_new.metadata := coalesce(p_state -> 'metadata', '{}') - '{client_account_id,engagement_id,user_id}'::text[];
  v_new.last_label := p_label;
  v_new.external_id := coalesce(p_old.external_id, p_external_id);
  return v_new;
end;
$$;

comment on function flowstate._fast_row(flowstate.flows, jsonb, text, text) is
'Internal. The row a fast-path save of p_state (same flow type; a phase change already checked) makes of p_old: phases, status, state_data, metadata, label and external id.';

-- flowstate._status
-- The stored status: terminal phases decide it; otherwise the caller's, else p_default.
-- A recovered flow stays `recovered` until a caller says otherwise.
create or replace function flowstate._status(p_phase text, p_sent text, p_default text)
returns text
language sql
immutable
as $$
  select case when p_phase in ('completed', 'failed') then p_phase
              when p_sent in ('running', 'paused', 'recovered') then p_sent
              when p_default in ('completed', 'failed') then 'running'
              else p_default end
$$;

comment on function flowstate._status(text, text, text) is
'Internal. The status to store for p_phase given the sent status and a default.';

-- flowstate._locked_flow
-- The flow's row, locked for update; FS004 when there is none for this tenant, FS002 when
-- p_expected_version is given and stale, FS001 when it is below 1 (no flow has such a version).
-- p_check_stale false leaves the FS002 check to the caller, which first looks its request id
-- up under the lock (a retry of a call that moved the flow on returns that call's result).
drop function if exists flowstate._locked_flow(uuid, bigint);
create or replace function flowstate._locked_flow(p_flow_id uuid, p_expected_version bigint, p_check_stale boolean default true)
returns flowstate.flows
language plpgsql
as $$
declare
  v_flow flowstate.flows;
begin
  if p_expected_version < 1 then
    raise exception 'flow %: p_expected_version must be at least 1', p_flow_id
      using errcode = 'FS001', detail = jsonb_build_object('flow_id', p_flow_id, 'errors', jsonb_build_array(
        format('p_expected_version must be at least 1 (or NULL), not %s.', p_expected_version)))::text;
  end if;
  select * into v_flow from flowstate.flows where flow_id = p_flow_id for update;
  if v_flow.flow_id is null then
    perform flowstate._raise_not_found(p_flow_id);
  end if;
  if p_check_stale and p_expected_version is not null and v_flow.flow_version <> p_expected_version then
    perform flowstate._raise_stale(p_flow_id, p_expected_version, v_flow.flow_version);
  end if;
  return v_flow;
end;
$$;

comment on function flowstate._locked_flow(uuid, bigint, boolean) is
'Internal. Lock and return a flow row; FS004 if missing for this tenant, FS002 if p_expected_version is stale (unless p_check_stale is false), FS001 if it is below 1.';

-- flowstate._raise_not_found, flowstate._raise_stale
-- The FS004 and FS002 errors of every write, raised in one place so their DETAIL stays one
-- shape: {"flow_id"} and {"flow_id", "expected", "actual"}.
create or replace function flowstate._raise_not_found(p_flow_id uuid)
returns void
language plpgsql
as $$
begin
  raise exception 'flow % not found', p_flow_id
    using errcode = 'FS004', detail = jsonb_build_object('flow_id', p_flow_id)::text;
end;
$$;

comment on function flowstate._raise_not_found(uuid) is
'Internal. Raise FS004 (no such flow for this tenant) for p_flow_id.';

create or replace function flowstate._raise_stale(p_flow_id uuid, p_expected bigint, p_actual bigint)
returns void
language plpgsql
as $$
begin
  raise exception 'flow % was modified concurrently: expected version %, found %', p_flow_id, p_expected, p_actual
    using errcode = 'FS002', detail = jsonb_build_object('flow_id', p_flow_id, 'expected', p_expected, 'actual', p_actual)::text;
end;
$$;

comment on function flowstate._raise_stale(uuid, bigint, bigint) is
'Internal. Raise FS002 (stale version: p_expected given, p_actual stored) for p_flow_id.';

-- flowstate._insert_flow
-- The one insert of a new flow (version 1), for creation and the legacy import: nothing
-- when the id exists, of any tenant (flow ids are global). Returns the row, or an empty one.
create or replace function flowstate._insert_flow(
  p_flow_id uuid, p_flow_type text, p_client_account_id uuid, p_engagement_id uuid, p_user_id uuid,
  p_current_phase text, p_phases_completed text[], p_status text, p_failed_phase text,
  p_state_data jsonb, p_metadata jsonb, p_last_label text, p_external_id text
)
returns flowstate.flows
language plpgsql
as $$
declare
  v_flow flowstate.flows;
begin
  insert into flowstate.flows as f (flow_id, flow_type, client_account_id, engagement_id, user_id,
                                    flow_version, current_phase, phases_completed, status, failed_phase,
                                    state_data, metadata, last_label, external_id)
  values (p_flow_id, p_flow_type, p_client_account_id, p_engagement_id, p_user_id,
          1, p_current_phase, p_phases_completed, p_status, p_failed_phase,
          p_state_data, p_metadata, p_last_label, p_external_id)
  on conflict (flow_id) do nothing
  returning * into v_flow;
  return v_flow;
end;
$$;

comment on function flowstate._insert_flow(uuid, text, uuid, uuid, uuid, text, text[], text, text, jsonb, jsonb, text, text) is
'Internal. Insert a new flow at version 1 unless its id exists (any tenant''s); returns the row, or an empty row.';

-- flowstate._record_pause
-- Record that a flow waits for human feedback (p_feedback), replacing an earlier pause;
-- created_by is the caller's user.
create or replace function flowstate._record_pause(p_flow_id uuid, p_feedback jsonb)
returns void
language plpgsql
as $$
begin
  insert into flowstate.pending_feedback as p (flow_id, feedback, created_by)
  values (p_flow_id, p_feedback, nullif(current_setting('flowstate.user_id', true), '')::uuid)
  on conflict (flow_id) do update set feedback = excluded.feedback, created_by = excluded.created_by, created_at = now();
end;
$$;

comment on function flowstate._record_pause(uuid, jsonb) is
'Internal. Record (or replace) a flow''s pause for human feedback with p_feedback.';
