-- flowstate.flow_create_checkpoint
-- Store a full snapshot of a flow, labelled with a phase (NULL: the current one; otherwise
-- the current or a completed phase) and p_label. The state does not change, so neither does
-- flow_version; the checkpoint is audited and listed in the document's `checkpoints` (the
-- newest checkpoints_in_document are).
-- p_request_id (optional): a retry with the same request id returns this call's result
-- instead of writing again (see 25_request_ids.sql).
-- Returns the checkpoint id. Raises FS001 (context, phase, p_phase over max_name_bytes,
-- p_label over max_label_bytes), FS004 (not found).
drop function if exists flowstate.flow_create_checkpoint(uuid, text, text, jsonb);
create or replace function flowstate.flow_create_checkpoint(
  p_flow_id uuid, p_phase text, p_label text, p_context jsonb, p_request_id uuid default null
)
returns uuid
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_replayed jsonb := flowstate._request_replay(p_flow_id, p_request_id, 'flow_create_checkpoint', p_context);
  v_checked boolean := flowstate._check_size('p_phase', octet_length(p_phase), 'max_name_bytes', p_flow_id)
                   and flowstate._check_size('p_label', octet_length(p_label), 'max_label_bytes', p_flow_id);
  v_flow flowstate.flows;
  v_checkpoint flowstate.checkpoints;
  v_published text;  -- set_config() results, unused
  v_result jsonb;
begin
  if v_replayed is not null then return v_replayed #>> '{}'; end if;
  perform flowstate._context(p_context);
  -- Locked: saves wait, so the snapshot is exactly the version it names.
  v_flow := flowstate._locked_flow(p_flow_id, null);
  if p_phase is not null and p_phase <> v_flow.current_phase and not p_phase = any (v_flow.phases_completed) then
    raise exception 'flow %: phase % is neither current nor completed', p_flow_id, p_phase
      using errcode = 'FS001', detail = jsonb_build_object('flow_id', p_flow_id, 'errors', jsonb_build_array(
        format('A checkpoint''s phase must be the current phase (%s) or a completed one, not %s.',
               v_flow.current_phase, quote_literal(p_phase))))::text;
  end if;
  insert into flowstate.checkpoints (flow_id, generation, phase, label, flow_version, snapshot, created_by)
  values (p_flow_id, v_flow.generation, coalesce(p_phase, v_flow.current_phase), p_label, v_flow.flow_version,
          flowstate._audit_content(v_flow), nullif(current_setting('flowstate.user_id', true), '')::uuid)
  returning * into v_checkpoint;
  -- The flow row keeps the document's checkpoints list, the newest checkpoints_in_document of
  -- them (flow_checkpoints pages through all). The audit trigger lets this pass without a new
  -- version: the state did not change.
  v_published := set_config('flowstate.operation', 'checkpoint', true);
  update flowstate.flows f
     set checkpoints = jsonb_path_query_array(f.checkpoints || jsonb_build_array(flowstate._checkpoint_entry(v_checkpoint)),
                                              'lax $[last - $checkpoints_in_document + 1 to last]', flowstate._settings())
   where f.flow_id = p_flow_id;
  v_published := set_config('flowstate.operation', '', true);
  v_result := to_jsonb(v_checkpoint.checkpoint_id);
  perform flowstate._request_remember(p_flow_id, p_request_id, 'flow_create_checkpoint', v_result);
  return v_checkpoint.checkpoint_id;
end;
$$;

comment on function flowstate.flow_create_checkpoint(uuid, text, text, jsonb, uuid) is
'Store a full snapshot of a flow as a checkpoint (p_phase NULL = the current phase; else the current or a completed phase; p_label free text). flow_version does not change; the checkpoint is audited and appears in the document''s checkpoints list, which holds the newest checkpoints_in_document (flowstate.settings; flow_checkpoints lists them all). With p_request_id, a retry (same flow, same request id) returns the first call''s result and changes nothing. Returns the checkpoint id. Errors: FS001 invalid context or phase (or p_phase over max_name_bytes, p_label over max_label_bytes), FS004 not found.';
