-- flowstate.flow_import_legacy
-- Import one legacy (CrewAI SQLite) flow: its flow_states rows in id order, and its
-- pending_feedback row if it was paused. In one transaction: every row is kept with its exact
-- text (flowstate.legacy_rows), the flow is created from the latest row (highest id) with
-- operation 'import' in the audit trail, and the migration ledger records the source and the
-- content hash. The flow id is flowstate.flow_id_for(p_external_id, p_context). The flow is of
-- the open type crewai: its state_data is the latest row as flowstate._legacy_json maps it
-- (the documented mapping of what jsonb cannot hold), its phases come from the method names
-- (flowstate._legacy_phases), its status is paused when it waits for feedback, and its
-- metadata.legacy_import names the rows it came from. Every row must be JSON.
--
-- Idempotent: a flow already imported with the same content returns status
-- 'already_migrated' and writes nothing. A flow imported with other content (from another
-- source, or rows added since), or created in PostgreSQL without an import (a later flow
-- under the id of an imported one that was deleted included), is a conflict (FS005): never
-- merged.
--
-- A flow too big for one call is sent in parts within ONE transaction: every call but the
-- last passes p_more => true (rows are stored, status 'staged'); the last call writes the flow.
--
-- p_source: {"fingerprint": text (required), ...anything else, e.g. the path}.
-- p_pending: {"legacy_id": n, "context_json": text, "state_json": text, "created_at": text}.
-- Returns {flow_id, external_id, status: migrated | already_migrated | staged, rows,
-- content_hash, flow_version, mapped: [notes]}.
-- Raises FS001 (bad arguments or context, an argument over its limit in flowstate.settings, a
-- row that is not JSON, a document the schema refuses; DETAIL lists every problem), FS004 (a
-- tenant outside the caller's bindings), FS005 (conflict; DETAIL says with what).
create or replace function flowstate.flow_import_legacy(
  p_external_id text,
  p_legacy_ids bigint[], p_method_names text[], p_timestamps text[], p_states text[],
  p_source jsonb, p_context jsonb,
  p_pending jsonb default null,
  p_more boolean default false
)
returns jsonb
language plpgsql
security definer
set search_path = ''
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
  -- Sizes first, before any work (method names become phases; each row is a document).
  v_checked boolean := flowstate._check_size('p_external_id', octet_length(p_external_id), 'max_label_bytes')
    and flowstate._check_size('An element of p_method_names', (select max(octet_length(m)) from unnest(p_method_names) m), 'max_name_bytes')
    and flowstate._check_size('An element of p_timestamps', (select max(octet_length(t)) from unnest(p_timestamps) t), 'max_label_bytes')
    and flowstate._check_size('An element of p_states', (select max(octet_length(s)) from unnest(p_states) s), 'max_document_bytes')
    and flowstate._check_size('p_source', flowstate._jsonb_bytes(p_source), 'max_feedback_bytes')
    and flowstate._check_size('p_pending.context_json', octet_length(p_pending ->> 'context_json'), 'max_feedback_bytes')
    and flowstate._check_size('p_pending.state_json', octet_length(p_pending ->> 'state_json'), 'max_document_bytes')
    and flowstate._check_size('p_pending.created_at', octet_length(p_pending ->> 'created_at'), 'max_label_bytes');
begin
  perform flowstate._context(p_context);
  if not flowstate._tenant_allowed(p_context) then
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
     or cardinality(p_timestamps) is distinct from v_count or cardinality(p_states) is distinct from v_count then
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
                    array(select flowstate._sha256_hex(s) from unnest(p_states) s),
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
  select * into v_state from flowstate._legacy_json(p_states[v_count]);
  v_document := jsonb_build_object(
    'flow_id', v_flow_id, 'flow_type', 'crewai',
    'current_phase', v_phases.current_phase, 'phases_completed', to_jsonb(v_phases.phases_completed),
    'state_data', v_state.state,
    'metadata', jsonb_build_object('legacy_import', jsonb_strip_nulls(jsonb_build_object(
      'external_id', p_external_id, 'source_fingerprint', p_source ->> 'fingerprint',
      'rows', cardinality(v_ids), 'first_legacy_id', v_ids[1], 'last_legacy_id', v_ids[cardinality(v_ids)],
      'first_timestamp', v_timestamps[1], 'last_timestamp', v_timestamps[cardinality(v_timestamps)],
      'mapped', nullif(to_jsonb(v_state.notes), '[]'::jsonb)))));
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

comment on function flowstate.flow_import_legacy(text, bigint[], text[], text[], text[], jsonb, jsonb, jsonb, boolean) is
'Import one legacy CrewAI SQLite flow in one transaction: rows (in id order) kept exactly in flowstate.legacy_rows, the flow created from the latest row (operation import), pending feedback, and a migration_ledger entry. Same content again: status already_migrated, nothing written. Big flows: parts with p_more => true, in one transaction. Returns {flow_id, external_id, status, rows, content_hash, flow_version, mapped}. Errors: FS001 invalid arguments (or over their limits in flowstate.settings: max_label_bytes, max_name_bytes for method names, max_document_bytes for each row, max_feedback_bytes for p_source and the pending context), rows that are not JSON or a refused document; FS004 a tenant outside the caller''s bindings (flowstate.role_tenants); FS005 conflict (imported with other content, or the flow exists).';
