-- Why: side inputs escaped the document limits (a 33 MB checkpoint label made its flow's
-- document too large to save back, for good), the checkpoints list in a document grew without
-- bound (3,067 entries: 22 ms a load), and batches had no cap. Limits for every text input and
-- for batches, and a bound on the list, as settings a DBA can change; existing lists trimmed.
-- depends: 0007_domains

insert into flowstate.settings (name, value, description) values
  ('max_name_bytes', 200, 'Longest accepted phase or flow type name, in bytes (UTF-8).'),
  ('max_label_bytes', 1024, 'Longest accepted label (a CrewAI method name, a checkpoint label), external id or other short text, in bytes (UTF-8).'),
  ('max_feedback_bytes', 1048576, 'Largest accepted human-feedback context (CrewAI pending feedback) or other side JSON (an import''s p_source), in bytes.'),
  ('max_batch_items', 1000, 'Most items in one batch call (flow_save_states, flow_load_states, lists of external ids); a batch''s cost grows linearly with its size.'),
  ('checkpoints_in_document', 10, 'Checkpoints listed in a flow''s document (the newest; flow_checkpoints pages through all). A change applies from each flow''s next checkpoint.')
on conflict (name) do nothing;

-- Lists longer than the bound keep their newest entries. The state does not change, so the
-- audit trigger stays out of it (as in 0006_checkpoint_list).
do $trim$
declare
  v_keep bigint := (select value from flowstate.settings where name = 'checkpoints_in_document');
begin
  if exists (select from flowstate.flows where jsonb_array_length(checkpoints) > v_keep) then
    set local session_replication_role = replica;
    update flowstate.flows f
       set checkpoints = (select jsonb_agg(e.entry order by e.n)
                            from jsonb_array_elements(f.checkpoints) with ordinality as e(entry, n)
                           where e.n > jsonb_array_length(f.checkpoints) - v_keep)
     where jsonb_array_length(f.checkpoints) > v_keep;
    set local session_replication_role = origin;
  end if;
end
$trim$;
