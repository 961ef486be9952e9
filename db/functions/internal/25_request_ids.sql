-- Request ids: a write retried after a lost reply returns the first call's result instead of
-- applying again. Every public write takes p_request_id (default NULL) and brackets its work
-- with two helpers, remembering the result in the same transaction as the change:
--
--   v_replayed jsonb := flowstate._request_replay(p_flow_id, p_request_id, 'flow_x', p_context);
--   if v_replayed is not null then return v_replayed; end if;
--   ... the write, its result in v_result ...
--   return flowstate._request_remember(p_flow_id, p_request_id, 'flow_x', v_result);
--
-- Both are SQL CASE expressions inlined into the caller: without a request id they cost a
-- NULL test, so a call without one is as cheap as before. A result is a jsonb value (a
-- checkpoint id as a JSON string, a boolean as JSON true or false).
--
-- Saves, puts, recorded steps and transitions (flowstate._write_state, flow_record_step,
-- flow_transition_phase) bracket only a creation so: a write to an existing flow claims
-- nothing first, looks the id up once it holds the flow's row lock
-- (flowstate._request_result) or in its fast path's read, and remembers the result in the
-- statement that writes the flow (flowstate._write_flow), which a racing retry cannot slip
-- past (see 30_write_state.sql).

-- flowstate._request_result
-- The result a call with p_request_id remembered for this flow in its generation p_generation,
-- or NULL (none, or none yet). Raises FS001 when a call of another operation used the id: a
-- request id names one call. A write to an existing flow asks this once it holds the flow's
-- row lock, and claims nothing: a first call with the same id that is still running holds that
-- lock too (every write of an existing flow locks its row before it remembers its result), so
-- the lock makes the retry wait for it; the write then remembers its own result in the
-- statement that writes the flow (flowstate._write_flow).
create or replace function flowstate._request_result(
  p_flow_id uuid, p_request_id uuid, p_operation text, p_generation bigint
)
returns jsonb
language plpgsql
stable
as $$
declare
  v_request flowstate.request_ids;
begin
  if p_request_id is null then
    return null;
  end if;
  select r.* into v_request
    from flowstate.request_ids r
   where r.flow_id = p_flow_id and r.request_id = p_request_id and r.generation = p_generation;
  if v_request.flow_id is not null and v_request.operation <> p_operation then
    raise exception 'request id % was already used by % for flow %', p_request_id, v_request.operation, p_flow_id
      using errcode = 'FS001', detail = jsonb_build_object('flow_id', p_flow_id, 'request_id', p_request_id,
        'errors', jsonb_build_array(format('Request id %s was already used by %s for this flow; a request id names one call.',
                                           p_request_id, v_request.operation)))::text;
  end if;
  return v_request.result;
end;
$$;

comment on function flowstate._request_result(uuid, uuid, text, bigint) is
'Internal. The result remembered under a request id for the flow''s generation p_generation, or NULL; for a write that holds the flow''s row lock. Errors: FS001 (the id was used by another operation).';

-- flowstate._request_lookup
-- Claim p_request_id for p_flow_id and return NULL (go on and write), or return the result a
-- call with this id remembered. Publishes the context first: a result counts only while
-- row-level security shows this caller the flow, and only if it was written for the flow that
-- has the id now (the same generation), not an earlier (deleted) flow with the same id, whose
-- entry is taken over. Generations, not timestamps: a delete and re-create inside one
-- transaction share now().
-- Raises FS001 (context; or the request id was used by another operation).
create or replace function flowstate._request_lookup(
  p_flow_id uuid, p_request_id uuid, p_operation text, p_context jsonb
)
returns jsonb
language plpgsql
as $$
declare
  v_published boolean := flowstate._context(p_context);
  v_result jsonb;
begin
  -- A retry can arrive while the first call is still running (the server had not noticed the
  -- lost connection yet): the unique key makes it wait here until the first call commits
  -- (then the id is taken) or rolls back (then it is ours). The wait is on the first call's
  -- transaction, so a batch of thousands of ids takes no lock table entry per id.
  insert into flowstate.request_ids as r (flow_id, request_id, operation)
  values (p_flow_id, p_request_id, p_operation)
  on conflict (flow_id, request_id) do nothing;
  if found then
    return null;
  end if;
  v_result := flowstate._request_result(p_flow_id, p_request_id, p_operation, flowstate._generation(p_flow_id));
  if v_result is null then
    -- An earlier flow's entry: taken over.
    update flowstate.request_ids r
       set operation = p_operation, generation = null, result = null, created_at = now()
     where r.flow_id = p_flow_id and r.request_id = p_request_id;
  end if;
  return v_result;
end;
$$;

comment on function flowstate._request_lookup(uuid, uuid, text, jsonb) is
'Internal. Claims a request id for a flow visible to the context (NULL: go on) or returns the result an earlier call with it remembered; waits for a running call with the same id. Errors: FS001 (context, or the id was used by another operation).';

-- flowstate._request_store
-- Remember p_result under the request id claimed by flowstate._request_lookup, with the
-- generation of the flow the call wrote (a create's is new only now); return it.
create or replace function flowstate._request_store(
  p_flow_id uuid, p_request_id uuid, p_operation text, p_result jsonb
)
returns jsonb
language plpgsql
as $$
begin
  -- flowstate._generation's query, written out: one statement, not a second function call.
  update flowstate.request_ids r
     set result = p_result, generation = (select f.generation from flowstate.flows f where f.flow_id = p_flow_id)
   where r.flow_id = p_flow_id and r.request_id = p_request_id;
  return p_result;
end;
$$;

comment on function flowstate._request_store(uuid, uuid, text, jsonb) is
'Internal. Remember a write''s result under the request id it claimed (flowstate.request_ids), with the flow''s generation; returns the result.';

-- flowstate._request_replay
-- NULL without a request id (nothing else is evaluated), else flowstate._request_lookup.
create or replace function flowstate._request_replay(
  p_flow_id uuid, p_request_id uuid, p_operation text, p_context jsonb
)
returns jsonb
language sql
volatile
as $$
  select case when p_request_id is not null
              then flowstate._request_lookup(p_flow_id, p_request_id, p_operation, p_context) end
$$;

comment on function flowstate._request_replay(uuid, uuid, text, jsonb) is
'Internal. A write''s first step: the result of an earlier call with this request id, or NULL (always NULL without one). Inlined into the caller.';

-- flowstate._request_remember
-- p_result, remembered first when there is a request id.
create or replace function flowstate._request_remember(
  p_flow_id uuid, p_request_id uuid, p_operation text, p_result jsonb
)
returns jsonb
language sql
volatile
as $$
  select case when p_request_id is null then p_result
              else flowstate._request_store(p_flow_id, p_request_id, p_operation, p_result) end
$$;

comment on function flowstate._request_remember(uuid, uuid, text, jsonb) is
'Internal. A write''s last step: returns p_result, remembered under the request id if there is one. Inlined into the caller.';
