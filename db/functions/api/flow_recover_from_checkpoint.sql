-- flowstate.flow_recover_from_checkpoint
-- Restore a checkpoint's phase, completed phases and state_data as the flow's next version,
-- status recovered. History is never rewritten. Returns the whole restored document.
-- p_request_id (optional): a retry with the same request id returns this call's result
-- instead of writing again (see 25_request_ids.sql).
-- Raises FS001 (context, p_expected_version below 1), FS002 (stale), FS004 (not found), FS006 (no such checkpoint for
-- this flow, or its snapshot no longer validates).
drop function if exists flowstate.flow_recover_from_checkpoint(uuid, uuid, bigint, jsonb);
create or replace function flowstate.flow_recover_from_checkpoint(
  p_flow_id uuid, p_checkpoint_id uuid, p_expected_version bigint, p_context jsonb,
  p_request_id uuid default null
)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_replayed jsonb := flowstate._request_replay(p_flow_id, p_request_id, 'flow_recover_from_checkpoint', p_context);
  v_flow flowstate.flows;
  v_checkpoint flowstate.checkpoints;
  v_errors text[];
  v_document jsonb;
begin
  if v_replayed is not null then return v_replayed; end if;
  perform flowstate._context(p_context);
  v_flow := flowstate._locked_flow(p_flow_id, p_expected_version);
  select * into v_checkpoint from flowstate.checkpoints c
   where c.flow_id = p_flow_id and c.checkpoint_id = p_checkpoint_id
     and c.generation = v_flow.generation;  -- an earlier flow's with this id is unknown here
  if v_checkpoint.checkpoint_id is null then
    raise exception 'flow % has no checkpoint %', p_flow_id, p_checkpoint_id
      using errcode = 'FS006', detail = jsonb_build_object('flow_id', p_flow_id, 'checkpoint_id', p_checkpoint_id,
        'reason', 'The flow has no such checkpoint.')::text;
  end if;
  v_errors := flowstate._validation_errors(v_checkpoint.snapshot, v_flow.flow_type);
  if cardinality(v_errors) > 0 then
    raise exception 'flow % checkpoint % no longer validates: %', p_flow_id, p_checkpoint_id, v_errors[1]
      using errcode = 'FS006', detail = jsonb_build_object('flow_id', p_flow_id, 'checkpoint_id', p_checkpoint_id,
        'reason', 'The checkpoint''s snapshot no longer validates.', 'errors', v_errors)::text;
  end if;
  v_flow := flowstate._restore(p_flow_id, v_checkpoint.snapshot, p_checkpoint_id::text);
  v_document := flowstate._document(v_flow, true);
  return flowstate._request_remember(p_flow_id, p_request_id, 'flow_recover_from_checkpoint', v_document);
end;
$$;

comment on function flowstate.flow_recover_from_checkpoint(uuid, uuid, bigint, jsonb, uuid) is
'Restore a checkpoint as the flow''s next version (status recovered; history is never rewritten); NULL p_expected_version skips the version check. With p_request_id, a retry (same flow, same request id) returns the first call''s result and changes nothing. Returns the whole restored document and alerts on flowstate_alerts. Errors: FS001 invalid context or p_expected_version below 1, FS002 stale, FS004 not found, FS006 no such checkpoint of this flow (an earlier flow''s with the same id included) or its snapshot no longer validates.';
