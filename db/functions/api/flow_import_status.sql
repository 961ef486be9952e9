-- flowstate.flow_import_status
-- What the migration ledger holds for legacy flows of the context's tenant, by their
-- original (CrewAI) ids: one row per id that was imported (in no particular order), none for
-- the others, nor for an id whose imported flow was deleted and now holds another flow.
-- Lets a migrator skip what is done without sending it again. At most max_batch_items ids.
-- Raises FS001 (context, too many ids, an id over max_label_bytes).
create or replace function flowstate.flow_import_status(p_external_ids text[], p_context jsonb)
returns table (
  external_id text, flow_id uuid, row_count bigint, last_legacy_id bigint, content_hash text,
  source_fingerprint text, source jsonb, migrated_at timestamptz
)
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  v_checked boolean := flowstate._check_size('p_external_ids', cardinality(p_external_ids), 'max_batch_items');
begin
  perform flowstate._context(p_context);
  -- = any (array(...)): a join on flow_id_for(...) plans ten times slower.
  return query
    select l.external_id, l.flow_id, l.row_count, l.last_legacy_id, l.content_hash, l.source_fingerprint, l.source, l.migrated_at
      from flowstate.migration_ledger l
     where l.flow_id = any (array(select flowstate.flow_id_for(e, p_context) from unnest(p_external_ids) e))
       and l.external_id = any (p_external_ids)
       -- The imported flow, or none (deleted: verify reports that); not a later flow's id.
       and coalesce(flowstate._generation(l.flow_id) = l.generation, true);
end;
$$;

comment on function flowstate.flow_import_status(text[], jsonb) is
'Migration ledger entries of the context''s tenant for legacy (CrewAI) flow ids: flow_id, row_count, last_legacy_id, content_hash, source_fingerprint, source, migrated_at; no row for an id not imported, or whose imported flow was deleted and the id taken by another flow. At most max_batch_items ids (flowstate.settings). Errors: FS001 invalid context, too many ids, an id over max_label_bytes.';
