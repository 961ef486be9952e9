-- flowstate.flow_import_verify
-- Re-read imported legacy flows, by their original (CrewAI) ids, and say what is wrong with
-- each: the content hash is recomputed from the stored text (not taken from the ledger), so
-- a migrator that computes the same hash from the source proves both sides equal. One row
-- per id, in order: row_count and content_hash as stored now (0 and NULL when not imported),
-- and problems (empty when the flow is intact). While a flow is still at the version the
-- import created, its document must also be what the latest legacy row maps to.
-- At most max_batch_items ids. Raises FS001 (context, too many ids, an id over max_label_bytes).
create or replace function flowstate.flow_import_verify(p_external_ids text[], p_context jsonb)
returns table (external_id text, flow_id uuid, row_count bigint, content_hash text, problems text[])
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  v_id text;
  v_flow_id uuid;
  v_ledger flowstate.migration_ledger;
  v_flow flowstate.flows;
  v_ids bigint[];
  v_methods text[];
  v_timestamps text[];
  v_shas text[];
  v_latest text;
  v_pending_line text;
  v_phases record;
  v_checked boolean := flowstate._check_size('p_external_ids', cardinality(p_external_ids), 'max_batch_items');
begin
  perform flowstate._context(p_context);
  foreach v_id in array p_external_ids loop
    external_id := v_id;
    flow_id := flowstate.flow_id_for(v_id, p_context);
    problems := '{}';
    v_flow_id := flow_id;  -- mapped once: a SHA-1 in PL/pgSQL for an id that is not a UUID
    select * into v_ledger from flowstate.migration_ledger l
     where l.flow_id = v_flow_id and l.external_id = v_id;
    if v_ledger.flow_id is null then
      row_count := 0;
      content_hash := null;
      problems := array['Not imported.'];
      return next;
      continue;
    end if;

    -- Recomputed from the stored text: the per-row hashes stored at import are not trusted.
    select count(*), array_agg(r.legacy_id order by r.legacy_id), array_agg(r.method_name order by r.legacy_id),
           array_agg(r.legacy_timestamp order by r.legacy_id), array_agg(flowstate._sha256_hex(r.state_text) order by r.legacy_id),
           (array_agg(r.state_text order by r.legacy_id desc))[1]
      into row_count, v_ids, v_methods, v_timestamps, v_shas, v_latest
      from flowstate.legacy_rows r where r.flow_id = v_ledger.flow_id;
    select flowstate._legacy_pending_line(p.legacy_id, p.context_text, p.state_text, p.created_at_text) into v_pending_line
      from flowstate.legacy_pending_feedback p where p.flow_id = v_ledger.flow_id;
    content_hash := flowstate._legacy_content_hash(v_ids, v_methods, v_timestamps, v_shas, v_pending_line);
    if content_hash is distinct from v_ledger.content_hash or row_count <> v_ledger.row_count then
      problems := problems || format('The stored legacy rows (%s) differ from what was imported (%s rows, content hash %s).',
                                     row_count, v_ledger.row_count, v_ledger.content_hash);
    end if;

    select * into v_flow from flowstate.flows f where f.flow_id = v_ledger.flow_id;
    if v_flow.flow_id is null then
      problems := problems || 'The flow is missing (deleted after the import?).'::text;
    elsif v_flow.generation <> v_ledger.generation then
      problems := problems || 'The imported flow was deleted; its id now holds another flow.'::text;
    elsif v_flow.external_id is distinct from v_id then
      problems := problems || format('The flow''s external_id is %s, not %s.', quote_nullable(v_flow.external_id), quote_literal(v_id));
    elsif v_flow.flow_version = v_ledger.flow_version and row_count > 0 then
      v_phases := flowstate._legacy_phases(v_methods);
      -- The exact values kept beside the stand-ins (flow_import_legacy's p_exact) aside.
      if v_flow.state_data - '__pgflowstate_exact__' is distinct from (flowstate._legacy_json(v_latest)).state
         or (v_flow.current_phase, v_flow.phases_completed, v_flow.failed_phase)
            is distinct from (v_phases.current_phase, v_phases.phases_completed, v_phases.failed_phase) then
        problems := problems || 'The flow''s document differs from what its latest legacy row maps to.'::text;
      end if;
    end if;
    return next;
  end loop;
end;
$$;

comment on function flowstate.flow_import_verify(text[], jsonb) is
'Re-read imported legacy flows by their original ids: row_count and content_hash recomputed from the stored text (compare with the source), and problems (not imported, rows differ from the ledger, flow missing or replaced by another flow with its id, document not what the latest row maps to while unchanged since the import). One row per id, in order; at most max_batch_items ids (flowstate.settings). Errors: FS001 invalid context, too many ids, an id over max_label_bytes.';
