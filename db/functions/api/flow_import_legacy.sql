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
-- p_exact: {"state": record, "feedback": record}, each optional: the values of the latest row
-- (of p_pending's context_json) that jsonb cannot hold, as pgflowstate.codec records them
-- (exact_record: [[path, JSON text], ...]), kept under "__pgflowstate_exact__" beside the
-- stand-ins _legacy_json gives them, as a live save keeps them.
-- Returns {flow_id, external_id, status: migrated | already_migrated | staged, rows,
-- content_hash, flow_version, mapped: [notes]}.
-- Raises FS001 (bad arguments or context, an argument over its limit in flowstate.settings, a
-- row that is not JSON, a document the schema refuses; DETAIL lists every problem), FS004 (a
-- tenant outside the caller's bindings), FS005 (conflict; DETAIL says with what).
drop function if exists flowstate.flow_import_legacy(text, bigint[], text[], text[], text[], jsonb, jsonb, jsonb, boolean);
create or replace function flowstate.flow_import_legacy(
  p_external_id text,
  p_legacy_ids bigint[], p_method_names text[], p_timestamps text[], p_states text[],
  p_source jsonb, p_context jsonb,
  p_pending jsonb default null,
  p_more boolean default false,
  p_exact jsonb default null
)
returns jsonb
language sql
security definer
set search_path = ''
as $$
  select flowstate._import_legacy(p_external_id, p_legacy_ids, p_method_names, p_timestamps, p_states,
                                  p_source, p_context, p_pending, p_more, null, p_exact)
$$;

comment on function flowstate.flow_import_legacy(text, bigint[], text[], text[], text[], jsonb, jsonb, jsonb, boolean, jsonb) is
'Import one legacy CrewAI SQLite flow in one transaction: rows (in id order) kept exactly in flowstate.legacy_rows, the flow created from the latest row (operation import), pending feedback, and a migration_ledger entry. Same content again: status already_migrated, nothing written. Big flows: parts with p_more => true, in one transaction. p_exact: the values of the latest row and pending context jsonb cannot hold ({state, feedback}: [[path, JSON text], ...], as pgflowstate.codec records them), kept under __pgflowstate_exact__. Returns {flow_id, external_id, status, rows, content_hash, flow_version, mapped}. Errors: FS001 invalid arguments (or over their limits in flowstate.settings: max_label_bytes, max_name_bytes for method names, max_document_bytes for each row, max_feedback_bytes for p_source and the pending context), rows that are not JSON or a refused document; FS004 a tenant outside the caller''s bindings (flowstate.role_tenants); FS005 conflict (imported with other content, or the flow exists).';
