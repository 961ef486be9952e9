-- The audit trail's events that change no state: a checkpoint taken, a document archived.

-- flowstate._audit_checkpoint, flowstate._audit_archive
-- Triggers on flowstate.checkpoints and flowstate.quarantine: one audit row per event, at the
-- flow's current version (the state itself did not change).
create or replace function flowstate._audit_event(p_flow_id uuid, p_operation text, p_version bigint, p_label text)
returns void
language plpgsql
as $$
begin
  insert into flowstate.audit_log (flow_id, generation, operation, old_version, new_version, old_phase, new_phase,
                                   actor_user_id, actor_role, label)
  select p_flow_id, f.generation, p_operation, p_version, p_version, f.current_phase, f.current_phase,
         nullif(current_setting('flowstate.user_id', true), '')::uuid, flowstate._caller_role(), p_label
    from flowstate.flows f where f.flow_id = p_flow_id;
end;
$$;

comment on function flowstate._audit_event(uuid, text, bigint, text) is
'Internal. Records an event that changes no state (checkpoint, archive) in flowstate.audit_log.';

create or replace function flowstate._audit_checkpoint()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform flowstate._audit_event(new.flow_id, 'checkpoint', new.flow_version, new.checkpoint_id::text);
  return null;
end;
$$;

comment on function flowstate._audit_checkpoint() is 'Internal. Trigger: audits a new checkpoint (label: its id).';

create or replace function flowstate._audit_archive()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform flowstate._audit_event(new.flow_id, 'archive', new.flow_version, new.quarantine_id::text);
  return null;
end;
$$;

comment on function flowstate._audit_archive() is 'Internal. Trigger: audits a quarantined document (label: the quarantine id).';

create or replace trigger checkpoints_audit
  after insert on flowstate.checkpoints
  for each row execute function flowstate._audit_checkpoint();
create or replace trigger quarantine_audit
  after insert on flowstate.quarantine
  for each row execute function flowstate._audit_archive();
