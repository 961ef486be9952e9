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
