-- flowstate.flow_recover_failed
-- Restore the newest checkpoint whose snapshot still validates and mark the flow recovered.
-- p_request_id (optional): a retry with the same request id returns this call's result
-- instead of writing again (see 25_request_ids.sql).
-- Returns the whole restored document, with restored_checkpoint_id: the checkpoint it chose.
-- Raises FS001 (context), FS004 (not found), FS006 (no
-- checkpoint qualifies; DETAIL says how many were tried).
drop function if exists flowstate.flow_recover_failed(uuid, jsonb);
create or replace function flowstate.flow_recover_failed(p_flow_id uuid, p_context jsonb, p_request_id uuid default null)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_replayed jsonb := flowstate._request_replay(p_flow_id, p_request_id, 'flow_recover_failed', p_context);
  v_flow flowstate.flows;
  v_checkpoint flowstate.checkpoints;
  v_tried integer := 0;
  v_document jsonb;
begin
  if v_replayed is not null then return v_replayed; end if;
  perform flowstate._context(p_context);
  v_flow := flowstate._locked_flow(p_flow_id, null);
  for v_checkpoint in
    select * from flowstate.checkpoints c
     where c.flow_id = p_flow_id and c.generation = v_flow.generation  -- this flow's, not an earlier one's with its id
     order by c.created_at desc
  loop
    v_tried := v_tried + 1;
    if cardinality(flowstate._validation_errors(v_checkpoint.snapshot, v_flow.flow_type)) = 0 then
      v_flow := flowstate._restore(p_flow_id, v_checkpoint.snapshot, v_checkpoint.checkpoint_id::text);
      v_document := flowstate._document(v_flow, true) || jsonb_build_object('restored_checkpoint_id', v_checkpoint.checkpoint_id);
      return flowstate._request_remember(p_flow_id, p_request_id, 'flow_recover_failed', v_document);
    end if;
  end loop;
  raise exception 'flow % has no valid checkpoint to recover from', p_flow_id
    using errcode = 'FS006', detail = jsonb_build_object('flow_id', p_flow_id, 'checkpoints_tried', v_tried,
      'reason', case v_tried when 0 then 'The flow has no checkpoints.'
                else 'No checkpoint''s snapshot validates.' end)::text;
end;
$$;

comment on function flowstate.flow_recover_failed(uuid, jsonb, uuid) is
'Recover a flow from the newest of its checkpoints (never an earlier flow''s with the same id) whose snapshot still validates: restored as the next version with status recovered, alerted on flowstate_alerts. With p_request_id, a retry (same flow, same request id) returns the first call''s result and changes nothing. Returns the whole restored document, with restored_checkpoint_id (the checkpoint it restored). Errors: FS001 invalid context, FS004 not found, FS006 no valid checkpoint.';
