-- flowstate._validation_errors
-- flow_validate_state with the flow type to assume when the document names none
-- (an update keeps the stored type). Without p_walk the phase path is left to the caller:
-- a save of an existing flow checks it as a transition (FS003), not as a schema error.
create or replace function flowstate._validation_errors(p_state jsonb, p_default_type text, p_walk boolean default true)
returns text[]
language plpgsql
stable
as $$
declare
  v_timestamp constant text := '^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])[T ]([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{1,9})?(Z|z|[+-]([01]\d|2[0-3])(:?[0-5]\d)?)$';
  v_known_keys constant text[] := array['flow_id', 'flow_type', 'flow_version', 'current_phase',
    'phases_completed', 'status', 'failed_phase', 'created_at', 'updated_at', 'checkpoints',
    'state_data', 'metadata', 'forked_from'];
  v_errors text[] := '{}';
  v_max_bytes bigint;
  v_max_depth bigint;
  v_key text;
  v_type flowstate.flow_types;
  v_type_name text;
  v_current text;
  v_completed text[];
  v_phases_ok boolean := true;
  v_status text;
  v_max_name bigint := (flowstate._settings() ->> 'max_name_bytes')::bigint;
  v_size_error text;
begin
  if p_state is null or jsonb_typeof(p_state) = 'null' then
    return array['The state document is required.'];
  end if;

  -- Limits first, before any work that grows with the document.
  v_max_bytes := (flowstate._settings() ->> 'max_document_bytes')::bigint;
  v_max_depth := (flowstate._settings() ->> 'max_nesting_depth')::bigint;
  if flowstate._jsonb_bytes(p_state) > v_max_bytes then
    return array[format('The state document is %s bytes; the limit is %s bytes (flowstate.settings max_document_bytes).',
                        flowstate._jsonb_bytes(p_state), v_max_bytes)];
  end if;
  if jsonb_path_exists(p_state, flowstate._nesting_path()) then
    return array[format('The state document is nested deeper than %s levels (flowstate.settings max_nesting_depth).', v_max_depth)];
  end if;

  if jsonb_typeof(p_state) <> 'object' then
    return array[format('The state document must be a JSON object, not %s.', jsonb_typeof(p_state))];
  end if;

  select v_errors || coalesce(array_agg(format('Unknown field %s: allowed fields are %s.',
                                               quote_literal(k), array_to_string(v_known_keys, ', ')) order by k), '{}')
    into v_errors
    from jsonb_object_keys(p_state) k
   where k <> all (v_known_keys);

  foreach v_key in array array['flow_id', 'current_phase', 'phases_completed', 'state_data'] loop
    if not p_state ? v_key then
      v_errors := v_errors || format('%s is required.', v_key);
    end if;
  end loop;

  if p_state ? 'flow_id' and (jsonb_typeof(p_state -> 'flow_id') <> 'string' or not flowstate._is_uuid(p_state ->> 'flow_id')) then
    v_errors := v_errors || 'flow_id must be a UUID string.'::text;
  end if;

  v_type_name := coalesce(p_state ->> 'flow_type', p_default_type);
  if p_state ? 'flow_type' and jsonb_typeof(p_state -> 'flow_type') <> 'string' then
    v_errors := v_errors || 'flow_type must be a string.'::text;
  elsif octet_length(v_type_name) > v_max_name then
    v_errors := v_errors || flowstate._size_error('flow_type', octet_length(v_type_name), 'max_name_bytes');
  else
    select * into v_type from flowstate.flow_types where flow_type = v_type_name;
    if not found then
      v_errors := v_errors || format('flow_type %s is not a known flow type (see flowstate.flow_types).', quote_literal(v_type_name));
    end if;
  end if;

  if p_state ? 'flow_version' and not (jsonb_typeof(p_state -> 'flow_version') = 'number'
        and (p_state ->> 'flow_version')::numeric >= 1
        and (p_state ->> 'flow_version')::numeric = trunc((p_state ->> 'flow_version')::numeric)) then
    v_errors := v_errors || 'flow_version must be an integer of at least 1.'::text;
  end if;

  if p_state ? 'current_phase' then
    if jsonb_typeof(p_state -> 'current_phase') <> 'string' or p_state ->> 'current_phase' = '' then
      v_errors := v_errors || 'current_phase must be a non-empty string.'::text;
      v_phases_ok := false;
    elsif octet_length(p_state ->> 'current_phase') > v_max_name then
      v_errors := v_errors || flowstate._size_error('current_phase', octet_length(p_state ->> 'current_phase'), 'max_name_bytes');
      v_phases_ok := false;
    else
      v_current := p_state ->> 'current_phase';
    end if;
  end if;

  if p_state ? 'phases_completed' then
    if jsonb_typeof(p_state -> 'phases_completed') <> 'array' then
      v_errors := v_errors || 'phases_completed must be an array of phase names.'::text;
      v_phases_ok := false;
    elsif exists (select from jsonb_array_elements(p_state -> 'phases_completed') e
                   where jsonb_typeof(e) <> 'string' or e #>> '{}' = '') then
      v_errors := v_errors || 'phases_completed must contain only non-empty strings.'::text;
      v_phases_ok := false;
    elsif exists (select from jsonb_array_elements_text(p_state -> 'phases_completed') p where octet_length(p) > v_max_name) then
      select flowstate._size_error(format('phases_completed[%s]', e.n - 1), octet_length(e.p), 'max_name_bytes') into v_size_error
        from jsonb_array_elements_text(p_state -> 'phases_completed') with ordinality as e(p, n)
       where octet_length(e.p) > v_max_name
       order by e.n limit 1;
      v_errors := v_errors || v_size_error;
      v_phases_ok := false;
    else
      v_completed := array(select jsonb_array_elements_text(p_state -> 'phases_completed'));
      select v_errors || coalesce(array_agg(format('phases_completed lists %s more than once.', quote_literal(d.p)) order by d.p), '{}')
        into v_errors
        from (select p from unnest(v_completed) p group by p having count(*) > 1) d;
      if array['completed', 'failed'] && v_completed then
        v_errors := v_errors || 'phases_completed cannot contain the terminal phases completed or failed.'::text;
      end if;
    end if;
  end if;

  if p_state ? 'status' then
    v_status := p_state ->> 'status';
    if jsonb_typeof(p_state -> 'status') <> 'string'
       or v_status not in ('running', 'paused', 'recovered', 'completed', 'failed') then
      v_errors := v_errors || 'status must be one of running, paused, recovered, completed, failed.'::text;
    elsif v_current is not null and (v_status in ('completed', 'failed') or v_current in ('completed', 'failed'))
          and v_status <> v_current then
      v_errors := v_errors || format('status %s does not match current_phase %s.', quote_literal(v_status), quote_literal(v_current));
    end if;
  end if;

  if p_state ? 'failed_phase' then
    if jsonb_typeof(p_state -> 'failed_phase') <> 'string' or p_state ->> 'failed_phase' in ('', 'completed', 'failed') then
      v_errors := v_errors || 'failed_phase must name the phase that failed.'::text;
    elsif octet_length(p_state ->> 'failed_phase') > v_max_name then
      v_errors := v_errors || flowstate._size_error('failed_phase', octet_length(p_state ->> 'failed_phase'), 'max_name_bytes');
    elsif v_current is distinct from 'failed' then
      v_errors := v_errors || 'failed_phase is only allowed when current_phase is failed.'::text;
    end if;
  end if;

  foreach v_key in array array['created_at', 'updated_at'] loop
    if p_state ? v_key and (jsonb_typeof(p_state -> v_key) <> 'string' or p_state ->> v_key !~ v_timestamp) then
      v_errors := v_errors || format('%s must be an ISO 8601 timestamp with a time zone, like 2026-01-31T12:00:00Z.', v_key);
    end if;
  end loop;

  if p_state ? 'checkpoints' and (jsonb_typeof(p_state -> 'checkpoints') <> 'array'
       or exists (select from jsonb_array_elements(p_state -> 'checkpoints') c where jsonb_typeof(c) <> 'object')) then
    v_errors := v_errors || 'checkpoints must be an array of objects.'::text;
  end if;

  -- A fork's lineage, as loaded: the database's (flow_fork sets it), so only its shape counts.
  if p_state ? 'forked_from' and jsonb_typeof(p_state -> 'forked_from') <> 'object' then
    v_errors := v_errors || 'forked_from must be an object (a fork''s parent, as loaded).'::text;
  end if;

  if p_state ? 'state_data' and jsonb_typeof(p_state -> 'state_data') <> 'object' then
    v_errors := v_errors || format('state_data must be a JSON object, not %s.', jsonb_typeof(p_state -> 'state_data'));
  end if;

  if p_state ? 'metadata' then
    if jsonb_typeof(p_state -> 'metadata') <> 'object' then
      v_errors := v_errors || 'metadata must be a JSON object.'::text;
    else
      foreach v_key in array array['client_account_id', 'engagement_id', 'user_id'] loop
        if p_state -> 'metadata' ? v_key and (jsonb_typeof(p_state -> 'metadata' -> v_key) <> 'string'
             or not flowstate._is_uuid(p_state -> 'metadata' ->> v_key)) then
          v_errors := v_errors || format('metadata.%s must be a UUID string.', v_key);
        end if;
      end loop;
    end if;
  end if;

  -- Phase rules of the flow type, once the phase fields themselves are well-formed.
  if v_type.flow_type is not null and v_phases_ok and v_current is not null and v_completed is not null then
    v_errors := v_errors || flowstate._phase_path_errors(v_type, v_current, v_completed, p_walk);
  end if;

  return v_errors;
end;
$$;

comment on function flowstate._validation_errors(jsonb, text, boolean) is
'Internal. The problems flow_validate_state reports, assuming p_default_type when the document has no flow_type.';

-- flowstate._jsonb_bytes
-- The full binary size of a jsonb value. pg_column_size alone gives the compressed size of a
-- value read from a table, so a 200 KB document could pass a 100 KB limit; decompressing
-- costs a copy, paid only for values that are compressed.
create or replace function flowstate._jsonb_bytes(p_value jsonb)
returns bigint
language sql
stable
as $$
  select case when pg_catalog.pg_column_compression(p_value) is null then pg_catalog.pg_column_size(p_value)
              else pg_catalog.pg_column_size(p_value || '{}'::jsonb) end
$$;

comment on function flowstate._jsonb_bytes(jsonb) is 'Internal. The uncompressed binary size of a jsonb value.';

-- flowstate._within_limits
-- Whether a document is within the size and nesting limits of flowstate.settings.
create or replace function flowstate._within_limits(p_state jsonb)
returns boolean
language sql
stable
as $$
  select flowstate._jsonb_bytes(p_state) <= (flowstate._settings() ->> 'max_document_bytes')::bigint
     and not jsonb_path_exists(p_state, flowstate._nesting_path())
$$;

comment on function flowstate._within_limits(jsonb) is
'Internal. Whether p_state is within max_document_bytes and max_nesting_depth (flowstate.settings).';

-- flowstate._looks_valid
-- A fast, sufficient test of the document schema: true only for a document that
-- flowstate._validation_errors would accept on everything but its flow type and phase path
-- (a test proves that). Documents it cannot vouch for (terminal phases, failed_phase,
-- anything malformed) take the slow path, which names every problem. Two jsonpaths and no
-- query, so saves stay cheap; no keyvalue(), which would copy state_data.
create or replace function flowstate._looks_valid(p_state jsonb)
returns boolean
language sql
immutable
as $$
  select jsonb_typeof(p_state) = 'object'
     and (p_state - '{flow_id,flow_type,flow_version,current_phase,phases_completed,status,created_at,updated_at,checkpoints,state_data,metadata,forked_from}'::text[]) = '{}'::jsonb
     -- Required fields, strict: a missing one is an error, which makes the match NULL.
     and coalesce(jsonb_path_match(p_state, 'strict
           $.flow_id.type() == "string"
           && $.current_phase.type() == "string" && $.current_phase != "" && $.current_phase != "completed"
           && $.current_phase != "failed"
           && $.phases_completed.type() == "array"
           && !exists($.phases_completed[*] ? (@.type() != "string" || @ == "" || @ == "completed" || @ == "failed"))
           && $.state_data.type() == "object"', silent => true), false)
     -- Optional fields, lax: absent is fine; .type() never unwraps arrays.
     and coalesce(jsonb_path_match(p_state, 'lax
           (!exists($.flow_type) || $.flow_type.type() == "string")
           && (!exists($.flow_version) || ($.flow_version.type() == "number" && $.flow_version >= 1
                                            && $.flow_version == $.flow_version.floor()))
           && (!exists($.status) || ($.status.type() == "string"
                                     && ($.status == "running" || $.status == "paused" || $.status == "recovered")))
           && (!exists($.created_at) || ($.created_at.type() == "string" && $.created_at like_regex
                 "^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])[T ]([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\\.[0-9]{1,9})?(Z|z|[+-]([01][0-9]|2[0-3])(:?[0-5][0-9])?)$"))
           && (!exists($.updated_at) || ($.updated_at.type() == "string" && $.updated_at like_regex
                 "^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])[T ]([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\\.[0-9]{1,9})?(Z|z|[+-]([01][0-9]|2[0-3])(:?[0-5][0-9])?)$"))
           && (!exists($.checkpoints) || ($.checkpoints.type() == "array"
                                          && !exists($.checkpoints[*] ? (@.type() != "object"))
                                          && !exists($.checkpoints[*].type() ? (@ != "object"))))
           && (!exists($.metadata) || $.metadata.type() == "object")
           && (!exists($.forked_from) || $.forked_from.type() == "object")',
         silent => true), false)
     -- The ids outside the jsonpaths: a like_regex of a UUID cost 7 us (see flowstate._is_uuid).
     and coalesce(flowstate._is_uuid(p_state ->> 'flow_id'), false)
     and coalesce(p_state -> 'metadata' -> 'client_account_id' is null
                  or (jsonb_typeof(p_state -> 'metadata' -> 'client_account_id') = 'string'
                      and flowstate._is_uuid(p_state -> 'metadata' ->> 'client_account_id')), false)
     and coalesce(p_state -> 'metadata' -> 'engagement_id' is null
                  or (jsonb_typeof(p_state -> 'metadata' -> 'engagement_id') = 'string'
                      and flowstate._is_uuid(p_state -> 'metadata' ->> 'engagement_id')), false)
     and coalesce(p_state -> 'metadata' -> 'user_id' is null
                  or (jsonb_typeof(p_state -> 'metadata' -> 'user_id') = 'string'
                      and flowstate._is_uuid(p_state -> 'metadata' ->> 'user_id')), false)
$$;

comment on function flowstate._looks_valid(jsonb) is
'Internal. A fast sufficient check of the document schema (not of flow type or phases); false means "ask flowstate._validation_errors".';

-- flowstate._phases_fit
-- What flowstate._looks_valid leaves out, as a fast sufficient test: the flow type p_flow_type
-- (the document's, else the stored one) is known and its name within max_name_bytes; the
-- phase names are within it too, none is completed twice, and the type's phase rules hold
-- (flowstate._phase_path_errors, p_walk as there). With _looks_valid and _within_limits true,
-- flowstate._validation_errors finds nothing: a phase change (every CrewAI step) then skips
-- the full validation, which costs ten times as much. A test proves the two agree.
create or replace function flowstate._phases_fit(p_state jsonb, p_flow_type text, p_walk boolean)
returns boolean
language plpgsql
stable
as $$
declare
  v_max_name constant bigint := (flowstate._settings() ->> 'max_name_bytes')::bigint;
  v_completed constant text[] := array(select jsonb_array_elements_text(p_state -> 'phases_completed'));
begin
  return octet_length(p_flow_type) <= v_max_name
     and octet_length(p_state ->> 'current_phase') <= v_max_name
     and (select coalesce(bool_and(octet_length(p) <= v_max_name), true) and count(*) = count(distinct p)
            from unnest(v_completed) p)
     and coalesce((select cardinality(flowstate._phase_path_errors(t, p_state ->> 'current_phase', v_completed, p_walk)) = 0
                     from flowstate.flow_types t where t.flow_type = p_flow_type), false);
end;
$$;

comment on function flowstate._phases_fit(jsonb, text, boolean) is
'Internal. A fast sufficient check of a document''s flow type and phases (names within max_name_bytes, none completed twice, the type''s phase rules); with flowstate._looks_valid and flowstate._within_limits true, flowstate._validation_errors finds nothing.';
