-- flowstate.flow_recover_failed
-- Restore the newest checkpoint whose snapshot still validates and mark the flow recovered.
-- Returns the whole restored document. Raises FS001 (context), FS004 (not found), FS006 (no
-- checkpoint qualifies; DETAIL says how many were tried).
create or replace function flowstate.flow_recover_failed(p_flow_id uuid, p_context jsonb)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_flow flowstate.flows;
  v_checkpoint flowstate.checkpoints;
  v_tried integer := 0;
begin
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
      return flowstate._document(v_flow, true);
    end if;
  end loop;
  raise exception 'flow % has no valid checkpoint to recover from', p_flow_id
    using errcode = 'FS006', detail = jsonb_build_object('flow_id', p_flow_id, 'checkpoints_tried', v_tried,
      'reason', case v_tried when 0 then 'The flow has no checkpoints.'
                else 'No checkpoint''s snapshot validates.' end)::text;
end;
$$;

comment on function flowstate.flow_recover_failed(uuid, jsonb) is
'Recover a flow from the newest of its checkpoints (never an earlier flow''s with the same id) whose snapshot still validates: restored as the next version with status recovered, alerted on flowstate_alerts. Returns the whole restored document. Errors: FS001 invalid context, FS004 not found, FS006 no valid checkpoint.';
