-- Helpers of the legacy (CrewAI SQLite) import: how legacy text becomes jsonb, how a legacy
-- method sequence becomes phases, and the content hash that proves source and target equal.
-- flowstate.flow_import_legacy, flow_import_verify and flow_legacy_history use them; the
-- Python migrator mirrors only the content hash (pgflowstate.migrator.content_hash).

-- flowstate._sha256_hex
-- sha256 of a text's UTF-8 bytes, as 64 hex digits.
create or replace function flowstate._sha256_hex(p_text text)
returns text
language sql
stable
as $$
  select encode(sha256(convert_to(p_text, 'UTF8')), 'hex')
$$;

comment on function flowstate._sha256_hex(text) is 'Internal. sha256 (hex) of the UTF-8 bytes of p_text.';

-- flowstate._legacy_json
-- The jsonb of a legacy state text, and how it was mapped (notes; empty when the text is
-- jsonb as it is). CrewAI writes state_json with Python's json.dumps(allow_nan=True), which
-- can produce what jsonb rejects. The documented mapping:
--   NaN, Infinity, -Infinity (bare numbers)  -> the strings "NaN", "Infinity", "-Infinity"
--                                              (pydantic reads them back as float values)
--   \u0000 in a string                       -> U+FFFD (jsonb text cannot hold NUL)
--   a lone UTF-16 surrogate escape           -> U+FFFD (as a UTF-8 decoder does)
--   a value that is not an object            -> {"legacy_value": <the value>} (with p_object)
-- Anything else that is not JSON raises 22P02 (the caller reports it). The exact original
-- text is always kept beside this (flowstate.legacy_rows).
create or replace function flowstate._legacy_json(
  p_text text, p_object boolean default true, out state jsonb, out notes text[]
)
language plpgsql
stable
as $$
declare
  v_numbers boolean;
  v_nul boolean;
  v_lone boolean;
begin
  notes := '{}';
  begin
    state := p_text::jsonb;
  exception when invalid_text_representation or untranslatable_character then
    -- Rare: rewrite token by token: a string literal (rewritten only when it may hold a
    -- \u0000 or surrogate escape), a bare non-finite number, or anything else (kept).
    select string_agg(coalesce(s.literal, '"' || t.m[2] || '"', t.m[1], t.m[3]), '' order by t.n),
           coalesce(bool_or(t.m[2] is not null), false), coalesce(bool_or(s.nul), false),
           coalesce(bool_or(s.lone), false)
      into p_text, v_numbers, v_nul, v_lone
      from regexp_matches(p_text, '("(?:[^"\\]|\\.)*")|(-?Infinity|NaN)|([^"NI-]+|.)', 'g') with ordinality as t(m, n)
      -- strict: not even called for the other tokens
      left join lateral flowstate._legacy_json_string(
        case when t.m[1] ~ '\\u(0000|[dD][89a-fA-F])' then t.m[1] end) s on true;
    state := p_text::jsonb;
    if v_numbers then
      notes := notes || 'NaN/Infinity numbers became the strings "NaN", "Infinity", "-Infinity".'::text;
    end if;
    if v_nul then
      notes := notes || '\u0000 characters became U+FFFD.'::text;
    end if;
    if v_lone then
      notes := notes || 'Lone UTF-16 surrogates became U+FFFD.'::text;
    end if;
  end;
  if p_object and jsonb_typeof(state) <> 'object' then
    notes := notes || format('The state was a JSON %s, kept as {"legacy_value": ...}.', jsonb_typeof(state));
    state := jsonb_build_object('legacy_value', state);
  end if;
end;
$$;

comment on function flowstate._legacy_json(text, boolean) is
'Internal. A legacy JSON text as jsonb plus notes on what was mapped: NaN/Infinity/-Infinity become strings, \u0000 and lone surrogates become U+FFFD, a non-object (with p_object) becomes {"legacy_value": ...}. Raises 22P02 for text that is not JSON.';

-- flowstate._legacy_json_string
-- A JSON string literal with the escapes jsonb rejects (\u0000, lone surrogates) replaced by
-- \ufffd; surrogate pairs and every other escape are kept.
create or replace function flowstate._legacy_json_string(
  p_literal text, out literal text, out nul boolean, out lone boolean
)
language sql
immutable
strict
as $$
  select string_agg(case when m[2] is not null then '\ufffd' else coalesce(m[1], m[3]) end, '' order by n),
         coalesce(bool_or(m[2] = '\u0000'), false), coalesce(bool_or(m[2] <> '\u0000'), false)
    from regexp_matches(p_literal,
           '(\\u[dD][89abAB][0-9a-fA-F]{2}\\u[dD][c-fC-F][0-9a-fA-F]{2})|(\\u[dD][89a-fA-F][0-9a-fA-F]{2}|\\u0000)|(\\.|[^\\]+)',
           'g') with ordinality as r(m, n)
$$;

comment on function flowstate._legacy_json_string(text) is
'Internal. A JSON string literal with \u0000 and lone surrogate escapes replaced by \ufffd (literal), and whether it had each (nul, lone).';

-- flowstate._legacy_phases
-- The phases of a legacy flow from its method names in row order, as flowstate.flow_record_step
-- would have recorded them had the flow run on PostgreSQL: consecutive repeats are one step;
-- phases_completed lists every earlier step once, in first-seen order (re-entering a phase is
-- allowed in the open crewai type, so the current phase may be listed too); the terminal
-- names completed and failed are never listed. Moving to failed completes nothing (a document
-- rule; flow_record_step refuses that step) and records the step before it as the failed
-- phase (else 'unknown').
create or replace function flowstate._legacy_phases(
  p_method_names text[], out current_phase text, out phases_completed text[], out failed_phase text
)
language plpgsql
immutable
as $$
declare
  v_steps text[];
begin
  -- Consecutive repeats collapsed.
  v_steps := array(select m from unnest(p_method_names) with ordinality as u(m, n)
                    where n = 1 or m is distinct from p_method_names[n - 1] order by n);
  current_phase := v_steps[cardinality(v_steps)];
  if current_phase = 'failed' then
    -- Failing completes nothing: the step before it is the failed phase.
    failed_phase := coalesce(nullif(v_steps[cardinality(v_steps) - 1], 'completed'), 'unknown');
    v_steps := v_steps[1:cardinality(v_steps) - 1];
  end if;
  phases_completed := array(select m from unnest(v_steps[1:cardinality(v_steps) - 1]) with ordinality as u(m, n)
                             where m not in ('completed', 'failed')
                             group by m order by min(n));
end;
$$;

comment on function flowstate._legacy_phases(text[]) is
'Internal. current_phase, phases_completed and failed_phase of a legacy flow from its method names in row order, as flow_record_step would have recorded them.';

-- flowstate._legacy_content_hash
-- The content hash of a legacy flow (the migration ledger's proof): sha256 (hex) of one line
-- per row in legacy_id order, "<legacy_id> <sha256(state text)> <bytes>:<method_name>
-- <bytes>:<timestamp>\n" (each text prefixed with its UTF-8 length, so the lines are
-- unambiguous whatever the texts hold), then p_pending_line (flowstate._legacy_pending_line)
-- if any. The migrator computes the same from the source (pgflowstate.migrator.content_hash).
create or replace function flowstate._legacy_content_hash(
  p_legacy_ids bigint[], p_method_names text[], p_timestamps text[], p_state_sha256 text[],
  p_pending_line text default null
)
returns text
language sql
stable
as $$
  select flowstate._sha256_hex(
           coalesce(string_agg(u.id || ' ' || u.s || ' ' || octet_length(u.m) || ':' || u.m || ' '
                               || octet_length(u.t) || ':' || u.t || E'\n', '' order by u.n), '')
           || coalesce(p_pending_line, ''))
    from unnest(p_legacy_ids, p_method_names, p_timestamps, p_state_sha256) with ordinality as u(id, m, t, s, n)
$$;

comment on function flowstate._legacy_content_hash(bigint[], text[], text[], text[], text) is
'Internal. sha256 over "<legacy_id> <state sha256> <bytes>:<method_name> <bytes>:<timestamp>\n" per row in id order, then the pending-feedback line: the content hash of a legacy flow.';

-- flowstate._legacy_pending_line
-- The content hash line of a legacy pending_feedback row:
-- "pending <id> <sha256(context_json)> <sha256(state_json)> <bytes>:<created_at>\n"; NULL
-- without a row.
create or replace function flowstate._legacy_pending_line(
  p_legacy_id bigint, p_context_text text, p_state_text text, p_created_at_text text
)
returns text
language sql
stable
strict
as $$
  select 'pending ' || p_legacy_id || ' ' || flowstate._sha256_hex(p_context_text) || ' '
         || flowstate._sha256_hex(p_state_text) || ' ' || octet_length(p_created_at_text) || ':' || p_created_at_text || E'\n'
$$;

comment on function flowstate._legacy_pending_line(bigint, text, text, text) is
'Internal. The line a legacy pending_feedback row adds to a flow''s content hash.';

-- flowstate._legacy_document
-- The document an imported legacy flow starts as: its phases, its latest state and, in
-- metadata.legacy_import, where it came from (external id, source fingerprint, the rows' ids
-- and timestamps, how the state was mapped, if it was).
create or replace function flowstate._legacy_document(
  p_flow_id uuid, p_external_id text, p_fingerprint text, p_current_phase text, p_phases_completed text[],
  p_state jsonb, p_legacy_ids bigint[], p_timestamps text[], p_notes text[]
)
returns jsonb
language sql
stable
as $$
  select jsonb_build_object(
    'flow_id', p_flow_id, 'flow_type', 'crewai',
    'current_phase', p_current_phase, 'phases_completed', to_jsonb(p_phases_completed),
    'state_data', p_state,
    'metadata', jsonb_build_object('legacy_import', jsonb_strip_nulls(jsonb_build_object(
      'external_id', p_external_id, 'source_fingerprint', p_fingerprint,
      'rows', cardinality(p_legacy_ids), 'first_legacy_id', p_legacy_ids[1],
      'last_legacy_id', p_legacy_ids[cardinality(p_legacy_ids)],
      'first_timestamp', p_timestamps[1], 'last_timestamp', p_timestamps[cardinality(p_timestamps)],
      'mapped', nullif(to_jsonb(p_notes), '[]'::jsonb)))))
$$;

comment on function flowstate._legacy_document(uuid, text, text, text, text[], jsonb, bigint[], text[], text[]) is
'Internal. The document of an imported legacy flow: phases, latest state, and metadata.legacy_import (external id, source fingerprint, row ids and timestamps, mapping notes).';

-- flowstate._legacy_json_error
-- Why a legacy text cannot be imported as JSON (even with the mapping), or NULL when it can.
create or replace function flowstate._legacy_json_error(p_text text)
returns text
language plpgsql
stable
as $$
declare
  v_message text;
  v_detail text;
begin
  perform flowstate._legacy_json(p_text, false);
  return null;
exception when invalid_text_representation or untranslatable_character then
  get stacked diagnostics v_message = message_text, v_detail = pg_exception_detail;
  return 'not JSON: ' || coalesce(nullif(v_detail, ''), v_message);
end;
$$;

comment on function flowstate._legacy_json_error(text) is
'Internal. Why a legacy state text is not JSON even with the mapping of flowstate._legacy_json, or NULL.';

-- flowstate._import_legacy
-- flowstate.flow_import_legacy (which see) for one flow, alone or in a batch. Alone
-- (p_state_shas NULL) it checks everything and stores the flow's rows. In a batch
-- (flowstate.flow_import_legacy_batch), which checked the context, the sizes and that every
-- row is JSON for all its flows at once: p_state_shas are the rows' sha256, p_states may hold
-- the latest row only, and the batch stores the rows of the flows imported (status migrated).
-- p_exact: flow_import_legacy's (the values jsonb cannot hold, kept beside their stand-ins).
drop function if exists flowstate._import_legacy(text, bigint[], text[], text[], text[], jsonb, jsonb, jsonb, boolean, text[]);
create or replace function flowstate._import_legacy(
  p_external_id text,
  p_legacy_ids bigint[], p_method_names text[], p_timestamps text[], p_states text[],
  p_source jsonb, p_context jsonb,
  p_pending jsonb, p_more boolean, p_state_shas text[], p_exact jsonb
)
returns jsonb
language plpgsql
as $$
declare
  v_published text;  -- set_config() results, unused
  v_flow_id uuid;
  v_count integer := coalesce(cardinality(p_legacy_ids), 0);
  v_continuing boolean;
  v_errors text[] := '{}';
  v_ledger flowstate.migration_ledger;
  v_hash text;
  v_ids bigint[];
  v_methods text[];
  v_timestamps text[];
  v_shas text[];
  v_phases record;
  v_state record;
  v_feedback record;
  v_pending_line text;
  v_paused_at timestamptz;
  v_document jsonb;
  v_flow flowstate.flows;
  v_latest constant text := p_states[cardinality(p_states)];
  -- Sizes first, before any work (a batch checked them for all its flows at once).
  v_checked boolean := p_state_shas is not null  -- (OR stops at the first true)
    or flowstate._check_size('p_external_id', octet_length(p_external_id), 'max_label_bytes')
    and flowstate._check_size('An element of p_method_names', (select max(octet_length(m)) from unnest(p_method_names) m), 'max_name_bytes')
    and flowstate._check_size('An element of p_timestamps', (select max(octet_length(t)) from unnest(p_timestamps) t), 'max_label_bytes')
    and flowstate._check_size('An element of p_states', (select max(octet_length(s)) from unnest(p_states) s), 'max_document_bytes')
    and flowstate._check_size('p_source', flowstate._jsonb_bytes(p_source), 'max_feedback_bytes')
    and flowstate._check_size('p_pending.context_json', octet_length(p_pending ->> 'context_json'), 'max_feedback_bytes')
    and flowstate._check_size('p_pending.state_json', octet_length(p_pending ->> 'state_json'), 'max_document_bytes')
    and flowstate._check_size('p_pending.created_at', octet_length(p_pending ->> 'created_at'), 'max_label_bytes');
  v_exact_checked boolean := flowstate._check_size('p_exact', flowstate._jsonb_bytes(p_exact), 'max_document_bytes');
begin
  if p_state_shas is null then
    perform flowstate._context(p_context);
  end if;
  if p_state_shas is null and not flowstate._tenant_allowed(p_context) then
    -- A tenant outside the caller's bindings: refused like a foreign flow, before any row is staged.
    raise exception 'legacy flow % not found', p_external_id
      using errcode = 'FS004', detail = jsonb_build_object('external_id', p_external_id)::text;
  end if;
  if current_setting('flowstate.all_tenants') = 'on' then
    raise exception 'an import needs a tenant'
      using errcode = 'FS001', detail = jsonb_build_object('errors', jsonb_build_array(
        'Importing needs a request context naming the tenant (client_account_id, engagement_id, user_id).'))::text;
  end if;

  -- The arguments, every problem at once.
  if p_external_id is null or p_external_id = '' then
    v_errors := v_errors || 'p_external_id must be a non-empty string.'::text;
  end if;
  if v_count = 0 or cardinality(p_method_names) is distinct from v_count
     or cardinality(p_timestamps) is distinct from v_count
     or cardinality(coalesce(p_state_shas, p_states)) is distinct from v_count then
    v_errors := v_errors || 'p_legacy_ids, p_method_names, p_timestamps and p_states must be non-empty arrays of the same length.'::text;
  elsif array_position(p_legacy_ids, null) is not null or array_position(p_method_names, null) is not null
        or array_position(p_timestamps, null) is not null or array_position(p_states, null) is not null then
    v_errors := v_errors || 'The row arrays must not contain NULL.'::text;
  elsif exists (select from unnest(p_legacy_ids[1:v_count - 1], p_legacy_ids[2:]) as u(a, b) where b <= a) then
    v_errors := v_errors || 'p_legacy_ids must be strictly increasing (rows in id order).'::text;
  end if;
  if jsonb_typeof(p_source -> 'fingerprint') is distinct from 'string' then
    v_errors := v_errors || 'p_source must be an object with a "fingerprint" string.'::text;
  end if;
  if p_pending is not null and not coalesce(jsonb_typeof(p_pending -> 'legacy_id') = 'number'
       and jsonb_typeof(p_pending -> 'context_json') = 'string' and jsonb_typeof(p_pending -> 'state_json') = 'string'
       and jsonb_typeof(p_pending -> 'created_at') = 'string', false) then
    v_errors := v_errors || 'p_pending must be {"legacy_id": number, "context_json": text, "state_json": text, "created_at": text}.'::text;
  elsif p_pending is not null and p_more then
    v_errors := v_errors || 'p_pending goes with the last part (p_more => false).'::text;
  end if;
  -- The exact-values record is read back by the codec: it must be [[path array, JSON text], ...].
  if p_exact is not null and (jsonb_typeof(p_exact) <> 'object'
       or exists (select from jsonb_each(p_exact) e(k, v) where k not in ('state', 'feedback')
                    or jsonb_typeof(v) <> 'array'
                    or exists (select from jsonb_array_elements(v) x
                                where jsonb_typeof(x) <> 'array' or jsonb_array_length(x) <> 2
                                   or jsonb_typeof(x -> 0) <> 'array' or jsonb_typeof(x -> 1) <> 'string'))) then
    v_errors := v_errors || 'p_exact must be {"state": [[path, text], ...], "feedback": [[path, text], ...]} (each optional).'::text;
  end if;
  if cardinality(v_errors) > 0 then
    raise exception 'invalid import of legacy flow %: %', p_external_id, v_errors[1]
      using errcode = 'FS001', detail = jsonb_build_object('external_id', p_external_id, 'errors', v_errors)::text;
  end if;

  v_flow_id := flowstate.flow_id_for(p_external_id, p_context);
  -- Two imports of one flow (two migrators) take turns; the second then finds the ledger row.
  perform pg_advisory_xact_lock(1886745449, hashtext(v_flow_id::text));
  v_continuing := coalesce(current_setting('flowstate.import_staging', true) = v_flow_id::text, false);

  if not v_continuing then
    select * into v_ledger from flowstate.migration_ledger where flow_id = v_flow_id;
    if v_ledger.generation <> flowstate._generation(v_flow_id) then
      raise exception 'legacy flow % was imported, but that flow was deleted and its id now holds another flow', p_external_id
        using errcode = 'FS005', detail = jsonb_build_object(
          'flow_id', v_flow_id, 'external_id', p_external_id,
          'reason', 'the imported flow was deleted and its id now holds another flow')::text;
    end if;
    if v_ledger.flow_id is not null then
      if not p_more then
        v_hash := flowstate._legacy_content_hash(p_legacy_ids, p_method_names, p_timestamps,
                    coalesce(p_state_shas, array(select flowstate._sha256_hex(s) from unnest(p_states) s)),
                    flowstate._legacy_pending_line((p_pending ->> 'legacy_id')::bigint, p_pending ->> 'context_json',
                                                   p_pending ->> 'state_json', p_pending ->> 'created_at'));
        if v_hash = v_ledger.content_hash then
          return jsonb_build_object('flow_id', v_flow_id, 'external_id', p_external_id, 'status', 'already_migrated',
                                    'rows', v_ledger.row_count, 'content_hash', v_hash,
                                    'flow_version', v_ledger.flow_version, 'mapped', to_jsonb(v_ledger.mapped));
        end if;
      end if;
      raise exception 'legacy flow % was already imported with other content', p_external_id
        using errcode = 'FS005', detail = jsonb_build_object(
          'flow_id', v_flow_id, 'external_id', p_external_id, 'reason', 'imported with other content',
          'imported', jsonb_build_object('source_fingerprint', v_ledger.source_fingerprint, 'source', v_ledger.source,
                                         'rows', v_ledger.row_count, 'last_legacy_id', v_ledger.last_legacy_id,
                                         'content_hash', v_ledger.content_hash, 'migrated_at', flowstate._iso(v_ledger.migrated_at)),
          'offered', jsonb_build_object('source_fingerprint', p_source ->> 'fingerprint', 'rows', v_count,
                                        'last_legacy_id', p_legacy_ids[v_count], 'content_hash', v_hash, 'partial', p_more))::text;
    end if;
    -- Flow ids are global: legacy rows or a flow under this id (any tenant's) is a conflict.
    if exists (select from flowstate.legacy_rows r where r.flow_id = v_flow_id) then
      raise exception 'flow % (legacy flow %) already has legacy rows', v_flow_id, p_external_id
        using errcode = 'FS005', detail = jsonb_build_object('flow_id', v_flow_id, 'external_id', p_external_id,
          'reason', 'the flow id already has legacy rows without a ledger entry of this tenant')::text;
    end if;
  elsif p_legacy_ids[1] <= (select max(r.legacy_id) from flowstate.legacy_rows r where r.flow_id = v_flow_id) then
    raise exception 'invalid import of legacy flow %: rows out of order', p_external_id
      using errcode = 'FS001', detail = jsonb_build_object('external_id', p_external_id, 'errors', jsonb_build_array(
        'Each part must continue with higher legacy ids than the part before.'))::text;
  end if;

  -- An erased id gets no rows (the legacy_rows trigger leaves this check to us, once per call).
  perform flowstate._refuse_erased(v_flow_id);

  if p_state_shas is not null then
    -- A batch: it checked every row is JSON, and stores the rows of the flows it imports.
    v_shas := p_state_shas;
  else
    -- Every row must be JSON (NaN and Infinity included, which the mapping handles). One check
    -- for the whole call in the common case; row by row only to say which rows fail.
    begin
      perform count(s::json) from unnest(p_states) s;
    exception when invalid_text_representation then
      select coalesce(array_agg(format('Legacy row %s: %s', u.id, x.e) order by u.n), '{}') into v_errors
        from unnest(p_legacy_ids, p_states) with ordinality as u(id, s, n),
             lateral (select flowstate._legacy_json_error(u.s) as e) x
       where x.e is not null;
      if cardinality(v_errors) > 0 then
        raise exception 'legacy flow % has rows that are not JSON: %', p_external_id, v_errors[1]
          using errcode = 'FS001', detail = jsonb_build_object('flow_id', v_flow_id, 'external_id', p_external_id, 'errors', v_errors)::text;
      end if;
    end;

    with stored as (
      insert into flowstate.legacy_rows (flow_id, legacy_id, method_name, legacy_timestamp, state_text, state_sha256)
      select v_flow_id, u.id, u.m, u.t, u.s, flowstate._sha256_hex(u.s)
        from unnest(p_legacy_ids, p_method_names, p_timestamps, p_states) as u(id, m, t, s)
      returning legacy_id, state_sha256)
    select array_agg(state_sha256 order by legacy_id) into v_shas from stored;
  end if;

  if p_more then
    v_published := set_config('flowstate.import_staging', v_flow_id::text, true);
    return jsonb_build_object('flow_id', v_flow_id, 'external_id', p_external_id, 'status', 'staged', 'rows', v_count);
  end if;
  v_published := set_config('flowstate.import_staging', '', true);

  -- The flow: every row's method name gives the phases, the latest row the state.
  if v_continuing then  -- earlier parts are stored already
    select array_agg(r.legacy_id order by r.legacy_id), array_agg(r.method_name order by r.legacy_id),
           array_agg(r.legacy_timestamp order by r.legacy_id), array_agg(r.state_sha256 order by r.legacy_id)
      into v_ids, v_methods, v_timestamps, v_shas
      from flowstate.legacy_rows r where r.flow_id = v_flow_id;
  else
    v_ids := p_legacy_ids;
    v_methods := p_method_names;
    v_timestamps := p_timestamps;
  end if;
  v_phases := flowstate._legacy_phases(v_methods);
  select * into v_state from flowstate._legacy_json(v_latest);
  if p_exact ? 'state' then
    v_state.state := v_state.state || jsonb_build_object('__pgflowstate_exact__', p_exact -> 'state');
  end if;
  v_document := flowstate._legacy_document(v_flow_id, p_external_id, p_source ->> 'fingerprint', v_phases.current_phase,
                                            v_phases.phases_completed, v_state.state, v_ids, v_timestamps, v_state.notes);
  -- The document is built here, so only limits and empty method names can make it invalid:
  -- the full validation (which says why) runs only then.
  if not flowstate._within_limits(v_document) or '' = any (v_methods) then
    v_errors := flowstate._validation_errors(v_document, 'crewai');
  end if;
  if cardinality(v_errors) > 0 then
    raise exception 'legacy flow % cannot be imported: %', p_external_id, v_errors[1]
      using errcode = 'FS001', detail = jsonb_build_object('flow_id', v_flow_id, 'external_id', p_external_id,
        'legacy_id', v_ids[cardinality(v_ids)], 'errors', v_errors)::text;
  end if;

  v_published := set_config('flowstate.operation', 'import', true)
              || set_config('flowstate.label', v_methods[cardinality(v_methods)], true);
  v_flow := flowstate._insert_flow(v_flow_id, 'crewai', (p_context ->> 'client_account_id')::uuid,
    (p_context ->> 'engagement_id')::uuid, (p_context ->> 'user_id')::uuid,
    v_phases.current_phase, v_phases.phases_completed,
    -- paused for feedback as flow_record_step records it
    flowstate._status(v_phases.current_phase, case when p_pending is not null then 'paused' end, 'running'),
    v_phases.failed_phase, v_state.state, v_document -> 'metadata', v_methods[cardinality(v_methods)], p_external_id);
  v_published := set_config('flowstate.operation', '', true) || set_config('flowstate.label', '', true);
  if v_flow.flow_id is null then
    raise exception 'flow % (legacy flow %) already exists and was not imported', v_flow_id, p_external_id
      using errcode = 'FS005', detail = jsonb_build_object('flow_id', v_flow_id, 'external_id', p_external_id,
        'reason', 'the flow already exists in PostgreSQL and was not imported')::text;
  end if;

  if p_pending is not null then
    select * into v_feedback from flowstate._legacy_json(p_pending ->> 'context_json');
    if p_exact ? 'feedback' then
      v_feedback.state := v_feedback.state || jsonb_build_object('__pgflowstate_exact__', p_exact -> 'feedback');
    end if;
    begin
      v_paused_at := (p_pending ->> 'created_at')::timestamptz;
    exception when others then
      v_feedback.notes := v_feedback.notes || format('The pause time %s is not a timestamp; the import time stands in.',
                                                     quote_literal(p_pending ->> 'created_at'));
    end;
    insert into flowstate.legacy_pending_feedback (flow_id, legacy_id, context_text, state_text, created_at_text)
    values (v_flow_id, (p_pending ->> 'legacy_id')::bigint, p_pending ->> 'context_json', p_pending ->> 'state_json',
            p_pending ->> 'created_at');
    insert into flowstate.pending_feedback (flow_id, feedback, created_by, created_at)
    values (v_flow_id, v_feedback.state, (p_context ->> 'user_id')::uuid, coalesce(v_paused_at, now()));
    v_state.notes := v_state.notes || array(select 'Pending feedback: ' || n from unnest(v_feedback.notes) n);
    v_pending_line := flowstate._legacy_pending_line((p_pending ->> 'legacy_id')::bigint, p_pending ->> 'context_json',
                                                     p_pending ->> 'state_json', p_pending ->> 'created_at');
  end if;

  v_hash := flowstate._legacy_content_hash(v_ids, v_methods, v_timestamps, v_shas, v_pending_line);
  insert into flowstate.migration_ledger (flow_id, generation, client_account_id, engagement_id, external_id, source_fingerprint,
                                          source, row_count, last_legacy_id, content_hash, has_pending, flow_version,
                                          mapped, migrated_by)
  values (v_flow_id, v_flow.generation, v_flow.client_account_id, v_flow.engagement_id, p_external_id, p_source ->> 'fingerprint',
          p_source - 'fingerprint', cardinality(v_ids), v_ids[cardinality(v_ids)], v_hash, p_pending is not null,
          v_flow.flow_version, v_state.notes, v_flow.user_id);

  return jsonb_build_object('flow_id', v_flow_id, 'external_id', p_external_id, 'status', 'migrated',
                            'rows', cardinality(v_ids), 'content_hash', v_hash, 'flow_version', v_flow.flow_version,
                            'mapped', to_jsonb(v_state.notes));
end;
$$;

comment on function flowstate._import_legacy(text, bigint[], text[], text[], text[], jsonb, jsonb, jsonb, boolean, text[], jsonb) is
'Internal. flowstate.flow_import_legacy for one flow; in a batch (p_state_shas given) the batch has checked sizes, context and JSON and stores the rows itself.';

-- flowstate._import_legacy_new_flows
-- The common case of flowstate.flow_import_legacy_batch, set-based: the flows of the batch that
-- are new (no ledger entry, no legacy rows, no flow and no erasure at their id), have no pending
-- feedback and no exact values, well-formed rows, and a latest state that is a JSON object
-- within the limits, are imported by one statement: one INSERT of their flows (so the flows'
-- statement triggers fire once per batch, not once per flow), one of their ledger entries.
-- Each gets what flowstate._import_legacy returns for it; every other flow gets NULL and is
-- left to _import_legacy, which explains a refusal. The batch checked the context, the sizes
-- and that every row is JSON (p_state_shas: the rows' sha256), and stores the rows of both.
-- Raises what jsonb raises for a latest state it cannot hold (a \u0000): the batch then takes
-- the one-flow-at-a-time path for all its flows.
create or replace function flowstate._import_legacy_new_flows(
  p_external_ids text[], p_row_counts integer[], p_legacy_ids bigint[], p_method_names text[], p_timestamps text[],
  p_states text[], p_state_shas text[], p_pendings jsonb[], p_exacts jsonb[], p_source jsonb, p_context jsonb
)
returns jsonb[]
language plpgsql
as $$
declare
  v_published text;  -- set_config() results, unused
  v_results jsonb[] := array_fill(null::jsonb, array[cardinality(p_external_ids)]);
  v_flow_ids uuid[];
  v_imported record;
begin
  if current_setting('flowstate.all_tenants') = 'on' or jsonb_typeof(p_source -> 'fingerprint') is distinct from 'string' then
    return v_results;
  end if;
  v_flow_ids := array(select case when p_pendings[u.i] is null and p_exacts[u.i] is null and u.e <> ''
                                  then flowstate._flow_id_in((select flowstate._flow_namespace(p_context)), u.e) end
                        from unnest(p_external_ids) with ordinality as u(e, i) order by u.i);
  -- Two imports of one flow take turns (as in _import_legacy), locked in one order.
  perform count(pg_advisory_xact_lock(1886745449, l.h))
     from (select distinct hashtext(id::text) as h from unnest(v_flow_ids) id where id is not null order by 1) l;

  v_published := set_config('flowstate.operation', 'import', true)
              || set_config('flowstate.label', '', true);  -- an insert's audit label is its last_label: the last method
  for v_imported in
    with candidates as (
      select c.i, c.flow_id, p_external_ids[c.i] as external_id,
             p_legacy_ids[c.first:c.last] as ids, p_method_names[c.first:c.last] as methods,
             p_timestamps[c.first:c.last] as timestamps, p_state_shas[c.first:c.last] as shas, p_states[c.last] as latest
        from (select u.i, u.flow_id, sum(u.c) over (order by u.i) - u.c + 1 as first, sum(u.c) over (order by u.i) as last
                from unnest(v_flow_ids, p_row_counts) with ordinality as u(flow_id, c, i)) c
       where c.flow_id is not null
         and c.flow_id::text is distinct from current_setting('flowstate.import_staging', true)
         and not exists (select from flowstate.migration_ledger l where l.flow_id = c.flow_id)
         and not exists (select from flowstate.legacy_rows r where r.flow_id = c.flow_id)
         and not exists (select from flowstate.erasures e where e.flow_id = c.flow_id and e.action = 'delete')),
    -- Materialized: each state is parsed, and each document built, once (an inlined
    -- expression is evaluated again at each reference).
    parsed as materialized (
      select c.*, p.current_phase, p.phases_completed, p.failed_phase, c.latest::jsonb as state
        from candidates c
        cross join lateral flowstate._legacy_phases(c.methods) p
       where array_position(c.ids, null) is null and array_position(c.methods, null) is null
         and array_position(c.timestamps, null) is null and '' <> all (c.methods)
         and not exists (select from unnest(c.ids[1:cardinality(c.ids) - 1], c.ids[2:]) as u(a, b) where b <= a)),
    documents as materialized (
      select d.*, flowstate._legacy_document(d.flow_id, d.external_id, p_source ->> 'fingerprint', d.current_phase,
                                             d.phases_completed, d.state, d.ids, d.timestamps, '{}') as document
        from parsed d
       where jsonb_typeof(d.state) = 'object'),
    valid as (
      select d.* from documents d where flowstate._within_limits(d.document)),
    inserted as (
      insert into flowstate.flows as f (flow_id, flow_type, client_account_id, engagement_id, user_id,
                                        flow_version, current_phase, phases_completed, status, failed_phase,
                                        state_data, metadata, last_label, external_id)
      select v.flow_id, 'crewai', (p_context ->> 'client_account_id')::uuid, (p_context ->> 'engagement_id')::uuid,
             (p_context ->> 'user_id')::uuid, 1, v.current_phase, v.phases_completed,
             flowstate._status(v.current_phase, null, 'running'), v.failed_phase, v.state, v.document -> 'metadata',
             v.methods[cardinality(v.methods)], v.external_id
        from valid v
      on conflict (flow_id) do nothing
      returning f.flow_id, f.generation, f.client_account_id, f.engagement_id, f.user_id, f.flow_version),
    -- What the ledger and the results take from each flow, without its states: the planner
    -- expects one row of each side below and joins by nested loop, which copies every row of
    -- the inner side once per outer row (joined to valid: 12% of a 20,000-row import's time).
    entries as (
      select v.i, v.flow_id, v.external_id, cardinality(v.ids) as row_count, v.ids[cardinality(v.ids)] as last_legacy_id,
             flowstate._legacy_content_hash(v.ids, v.methods, v.timestamps, v.shas) as content_hash
        from valid v),
    ledger as (
      insert into flowstate.migration_ledger (flow_id, generation, client_account_id, engagement_id, external_id,
                                              source_fingerprint, source, row_count, last_legacy_id, content_hash,
                                              has_pending, flow_version, mapped, migrated_by)
      select n.flow_id, n.generation, n.client_account_id, n.engagement_id, e.external_id, p_source ->> 'fingerprint',
             p_source - 'fingerprint', e.row_count, e.last_legacy_id, e.content_hash, false, n.flow_version, '{}', n.user_id
        from inserted n join entries e on e.flow_id = n.flow_id
      returning flow_id, external_id, row_count, content_hash, flow_version)
    select e.i, jsonb_build_object('flow_id', l.flow_id, 'external_id', l.external_id, 'status', 'migrated',
                                   'rows', l.row_count, 'content_hash', l.content_hash, 'flow_version', l.flow_version,
                                   'mapped', '[]'::jsonb) as result
      from ledger l join entries e on e.flow_id = l.flow_id
  loop
    v_results[v_imported.i] := v_imported.result;
  end loop;
  v_published := set_config('flowstate.operation', '', true);
  return v_results;
end;
$$;

comment on function flowstate._import_legacy_new_flows(text[], integer[], bigint[], text[], text[], text[], text[], jsonb[], jsonb[], jsonb, jsonb) is
'Internal. flow_import_legacy_batch''s common case, set-based: imports the batch''s new, plain flows (one INSERT of flows, one of ledger entries) and returns _import_legacy''s result for each, NULL for every flow left to _import_legacy.';
