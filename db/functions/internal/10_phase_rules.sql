-- The phase rules of flow types, shared by validation, saves and transitions.
-- A closed type's phases are its initial phase plus every phase in its edges;
-- `completed` and `failed` are terminal for every type, and any non-terminal phase may
-- go to `failed`. An open type accepts any phase in any order (re-entering one included).

-- flowstate._allowed_next
-- The phases a flow may move to next; NULL means any phase (open types).
create or replace function flowstate._allowed_next(p_flow_type text, p_current text)
returns text[]
language plpgsql
stable
as $$
begin
  return (
    select case
      when p_current in ('completed', 'failed') then '{}'::text[]
      when t.is_open then null
      else array(select e.to_phase from flowstate.phase_transitions e
                  where e.flow_type = p_flow_type and e.from_phase = p_current
                  order by e.to_phase) || '{failed}'::text[]
    end
    from flowstate.flow_types t
    where t.flow_type = p_flow_type);
end;
$$;

comment on function flowstate._allowed_next(text, text) is
'Internal. Phases a flow of p_flow_type in p_current may move to; NULL means any (open type), empty means terminal.';

-- flowstate._terminal_error
-- Why a flow in a terminal phase takes no other phase: completed is final, failed is left
-- through recovery or reset. One wording for transitions and saves.
create or replace function flowstate._terminal_error(p_phase text)
returns text
language sql
immutable
as $$
  select case p_phase
    when 'completed' then 'The flow is in the terminal phase ''completed'': a completed flow is finished and takes no other phase.'
    when 'failed' then 'The flow is in the terminal phase ''failed''; a flow leaves failed only through recovery or reset.'
  end
$$;

comment on function flowstate._terminal_error(text) is
'Internal. The reason a flow in the terminal phase p_phase (completed or failed) may not change phase; NULL for any other phase.';

-- flowstate._transition_error
-- Why a flow may not move from p_current to p_new_phase, or NULL when it may.
create or replace function flowstate._transition_error(
  p_flow_type text, p_current text, p_completed text[], p_new_phase text
)
returns text
language plpgsql
stable
as $$
declare
  v_allowed text[];
begin
  if p_current in ('completed', 'failed') then
    return flowstate._terminal_error(p_current);
  elsif p_new_phase is null or p_new_phase = '' then
    return 'The new phase must be a non-empty string.';
  elsif octet_length(p_new_phase) > (flowstate._settings() ->> 'max_name_bytes')::bigint then
    return flowstate._size_error('The new phase', octet_length(p_new_phase), 'max_name_bytes');
  elsif p_new_phase = p_current then
    return format('The flow is already in phase %s.', quote_literal(p_current));
  elsif p_new_phase = 'failed' then
    return null;
  end if;
  v_allowed := flowstate._allowed_next(p_flow_type, p_current);
  if v_allowed is null then
    return null;  -- open type
  elsif p_new_phase = any (p_completed) then
    return format('Phase %s was already completed.', quote_literal(p_new_phase));
  elsif p_new_phase <> all (v_allowed) then
    return format('Flow type %s does not allow %s -> %s; allowed next: %s.', quote_literal(p_flow_type),
                  p_current, p_new_phase, array_to_string(v_allowed, ', '));
  end if;
  return null;
end;
$$;

comment on function flowstate._transition_error(text, text, text[], text) is
'Internal. The reason a flow of p_flow_type in p_current (having completed p_completed) may not move to p_new_phase, or NULL when the graph allows it.';

-- flowstate._phase_path_errors
-- Check a document's phases against its type: every phase known and, with p_walk, for closed
-- types a walk from the initial phase through allowed edges (phases_completed in order, then
-- the current phase). A save of an existing flow passes p_walk => false and checks the path
-- as a transition instead (FS003, flowstate._phase_change_error).
create or replace function flowstate._phase_path_errors(
  p_type flowstate.flow_types, p_current text, p_completed text[], p_walk boolean default true
)
returns text[]
language plpgsql
stable
as $$
declare
  v_errors text[] := '{}';
  v_path text[] := p_completed || case when p_current = 'failed' then '{}'::text[] else array[p_current] end;
  v_unknown text[];
begin
  if p_type.is_open then
    return v_errors;
  end if;

  -- The common case in one query: a walk along the graph from the initial phase.
  if p_walk and not p_current = any (p_completed)
     and (cardinality(v_path) = 0 or v_path[1] = p_type.initial_phase)
     and not exists (select from unnest(v_path[1:cardinality(v_path) - 1], v_path[2:]) as s(a, b)
                      where not exists (select from flowstate.phase_transitions e
                                         where e.flow_type = p_type.flow_type and e.from_phase = s.a and e.to_phase = s.b)) then
    return v_errors;
  end if;

  select array_agg(distinct p order by p) into v_unknown
    from unnest(v_path) p
   where p not in ('completed', 'failed')
     and p is distinct from p_type.initial_phase
     and not exists (select from flowstate.phase_transitions e
                      where e.flow_type = p_type.flow_type and (e.from_phase = p or e.to_phase = p));
  if p_current = any (p_completed) then
    v_errors := v_errors || format('current_phase %s is also listed in phases_completed.', quote_literal(p_current));
  end if;
  if v_unknown is not null then
    return v_errors || array(
      select format('Phase %s is not a phase of flow type %s (phases: %s).', quote_literal(u), quote_literal(p_type.flow_type),
                    (select string_agg(p, ', ' order by p) from flowstate._type_phases(p_type.flow_type) p))
        from unnest(v_unknown) u);
  end if;
  if not p_walk then
    return v_errors;
  end if;

  if v_path[1] is distinct from p_type.initial_phase and cardinality(v_path) > 0 then
    v_errors := v_errors || format('A %s flow starts at %s, not %s.', p_type.flow_type,
                                   quote_literal(p_type.initial_phase), quote_literal(v_path[1]));
  end if;
  select v_errors || coalesce(array_agg(format('Flow type %s does not allow %s -> %s.', quote_literal(p_type.flow_type), s.a, s.b)
                                        order by s.n), '{}')
    into v_errors
    from unnest(v_path[1:cardinality(v_path) - 1], v_path[2:]) with ordinality as s(a, b, n)
   where not exists (select from flowstate.phase_transitions e
                      where e.flow_type = p_type.flow_type and e.from_phase = s.a and e.to_phase = s.b);
  return v_errors;
end;
$$;

comment on function flowstate._phase_path_errors(flowstate.flow_types, text, text[], boolean) is
'Internal. Problems with a document''s phases for its flow type: unknown phases and, for closed types with p_walk, a path (phases_completed then current_phase) that does not walk the graph from the initial phase.';

-- flowstate._type_phases
-- Every phase a closed flow type knows, terminal ones included.
create or replace function flowstate._type_phases(p_flow_type text)
returns setof text
language plpgsql
stable
as $$
begin
  return query
  select t.initial_phase from flowstate.flow_types t where t.flow_type = p_flow_type and t.initial_phase is not null
  union
  select e.from_phase from flowstate.phase_transitions e where e.flow_type = p_flow_type
  union
  select e.to_phase from flowstate.phase_transitions e where e.flow_type = p_flow_type
  union
  select 'failed';
end;
$$;

comment on function flowstate._type_phases(text) is 'Internal. The phases of a closed flow type, terminal ones included.';

-- flowstate._phase_change_error
-- Why a save may not change the stored phases (old) into the sent ones (new), or NULL.
-- A save is checked like a transition: the phases cannot be bypassed by writing them.
-- Both documents are already valid on their own (flowstate._phase_path_errors).
create or replace function flowstate._phase_change_error(
  p_flow_type text, p_old_current text, p_old_completed text[], p_new_current text, p_new_completed text[]
)
returns text
language plpgsql
stable
as $$
declare
  v_lost text[];
  v_open boolean;
begin
  if p_old_current = p_new_current and p_old_completed = p_new_completed then
    return null;
  end if;
  if p_old_current in ('completed', 'failed') then
    return flowstate._terminal_error(p_old_current);
  end if;
  v_lost := array(select unnest(p_old_completed) except select unnest(p_new_completed));
  if cardinality(v_lost) > 0 then
    return format('phases_completed would lose %s; completed phases are only removed by recovery or reset.', array_to_string(v_lost, ', '));
  end if;
  if p_new_current = p_old_current then
    return format('phases_completed can only grow by moving on from the current phase %s.', quote_literal(p_old_current));
  end if;
  if p_new_current = 'failed' then
    if cardinality(p_new_completed) <> cardinality(p_old_completed) then
      return 'Moving to failed does not complete any phase.';
    end if;
    return null;
  end if;
  select is_open into v_open from flowstate.flow_types where flow_type = p_flow_type;
  if v_open then
    -- One step: exactly the old current phase completes (re-entry allowed in open types).
    if (select array_agg(p order by p) from (select unnest(p_new_completed) p) s)
       is distinct from (select array_agg(p order by p) from (select distinct unnest(p_old_completed || p_old_current) p) s) then
      return format('Moving from %s to %s completes exactly %s.', p_old_current, p_new_current, quote_literal(p_old_current));
    end if;
    return null;
  end if;
  -- Closed: the old path must be a prefix of the new one, and the new path walks the graph.
  if p_new_completed[1:cardinality(p_old_completed) + 1] <> p_old_completed || p_old_current then
    return format('Moving on from %s must first complete %s.', p_old_current, quote_literal(p_old_current));
  end if;
  return (select (flowstate._phase_path_errors(t, p_new_current, p_new_completed))[1]
            from flowstate.flow_types t where t.flow_type = p_flow_type);
end;
$$;

comment on function flowstate._phase_change_error(text, text, text[], text, text[]) is
'Internal. The reason a save may not change the phases from (old current, old completed) to (new current, new completed), or NULL when the change is a legal transition (or several legal steps, for closed types).';

-- flowstate._phase_change
-- What a phase change does to a flow's phase record, for every path that moves a flow (a
-- transition, a recorded step, a save that changes the phase, a creation): the phase left
-- joins phases_completed, unless it is listed already, is the new phase, is terminal, or
-- the move is to failed, which records the phase left as failed_phase instead. failed_phase
-- is kept while the flow stays failed and cleared when it is not failed.
create or replace function flowstate._phase_change(
  p_old_phase text, p_old_completed text[], p_old_failed_phase text, p_new_phase text,
  out phases_completed text[], out failed_phase text
)
language plpgsql
immutable
as $$
begin
  phases_completed := case
    when p_old_phase is null or p_old_phase in (p_new_phase, 'completed', 'failed')
         or p_old_phase = any (p_old_completed) or p_new_phase = 'failed'
      then coalesce(p_old_completed, '{}')
    else coalesce(p_old_completed, '{}') || p_old_phase end;
  failed_phase := case when p_new_phase is distinct from 'failed' then null
                       when p_old_phase = 'failed' then p_old_failed_phase
                       else p_old_phase end;
end;
$$;

comment on function flowstate._phase_change(text, text[], text, text) is
'Internal. The phases_completed and failed_phase after moving from p_old_phase to p_new_phase: the phase left joins phases_completed (not when listed, the same, terminal, or when moving to failed, which records it as failed_phase); failed_phase is kept while failed, cleared otherwise.';
