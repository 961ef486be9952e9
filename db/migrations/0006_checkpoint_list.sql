-- Why: every load and save returns the flow's checkpoints list; keeping it on the flow row
-- saves a query per call. flowstate.checkpoints stays the record (and time travel reads it).
-- depends: 0004_pending_feedback

alter table flowstate.flows add column checkpoints jsonb not null default '[]'
  check (jsonb_typeof(checkpoints) = 'array');
comment on column flowstate.flows.checkpoints is
'The document''s checkpoints list ({id, phase, label, flow_version, created_at}, oldest first), kept by flow_create_checkpoint.';

-- Existing checkpoints: copied without firing the audit trigger (the state does not change).
do $backfill$
begin
  if exists (select from flowstate.checkpoints) then
    set local session_replication_role = replica;
    update flowstate.flows f
       set checkpoints = (select jsonb_agg(jsonb_build_object(
                                   'id', c.checkpoint_id, 'phase', c.phase, 'label', c.label,
                                   'flow_version', c.flow_version,
                                   'created_at', (to_jsonb(c.created_at at time zone 'UTC') #>> '{}') || 'Z')
                                 order by c.created_at)
                            from flowstate.checkpoints c where c.flow_id = f.flow_id)
     where exists (select from flowstate.checkpoints c where c.flow_id = f.flow_id);
    set local session_replication_role = origin;
  end if;
end
$backfill$;
