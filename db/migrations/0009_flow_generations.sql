-- Why: a flow id can live twice (a DBA deletes a flow, and the id is created again), but the
-- records a flow leaves (audit rows, checkpoints, quarantine, the migration ledger) were keyed
-- by flow id alone, so the new flow read the old one's history, checkpoints and legacy import,
-- and recovery could restore the old flow's snapshot into it. Each flow now has a generation
-- (its life), given by the audit trigger on insert and stamped on every record it writes;
-- readers keep only the records of the current generation (flowstate._generation).
-- Pending feedback needs none: it references the flow and is deleted with it.
-- depends: 0007_domains

create sequence flowstate.flow_generation as bigint;
alter sequence flowstate.flow_generation owner to flowstate_owner;
comment on sequence flowstate.flow_generation is 'Generations of flows: a new one for every flow created (flowstate._audit_flow_change).';

-- A constant default is kept in the catalog, not written into every row, so this rewrites
-- nothing: every existing flow and record is generation 0 (new flows start at 1). Only the
-- records of earlier lives of a reused id are told apart, below.
alter table flowstate.flows add column generation bigint not null default 0;
comment on column flowstate.flows.generation is
'The flow''s life: new for every flow created (by the audit trigger, whoever inserts), kept by every update. Records the flow writes carry it. 0: a flow from before generations, or written with triggers off.';

alter table flowstate.audit_log add column generation bigint not null default 0;
alter table flowstate.audit_log alter column generation drop default;
comment on column flowstate.audit_log.generation is 'The generation of the flow the row belongs to (flows.generation); rows of an earlier flow with the same id have another.';
alter table flowstate.checkpoints add column generation bigint not null default 0;
alter table flowstate.checkpoints alter column generation drop default;
comment on column flowstate.checkpoints.generation is 'The generation of the flow the checkpoint was taken of (flows.generation).';
alter table flowstate.quarantine add column generation bigint not null default 0;
alter table flowstate.quarantine alter column generation drop default;
comment on column flowstate.quarantine.generation is 'The generation of the flow the document was archived from (flows.generation).';
alter table flowstate.migration_ledger add column generation bigint not null default 0;
alter table flowstate.migration_ledger alter column generation drop default;
comment on column flowstate.migration_ledger.generation is
'The generation of the flow the import created (flows.generation); its legacy rows belong to that flow.';

-- Earlier lives. A life ends with its admin_delete audit row, so a record with n admin_delete
-- rows of its id at or after it belongs to the life n deletions back: generation -n. Events
-- are placed by their own audit row (its label is the checkpoint or quarantine id, and an
-- import is the id's version 1 'import' row), or by time where retention dropped that row.
do $lives$
begin
  if exists (select from flowstate.audit_log where operation = 'admin_delete') then
    set local session_replication_role = replica;  -- past the append-only guards, which stay on for everyone else
    update flowstate.audit_log a
       set generation = -(select count(*) from flowstate.audit_log d
                           where d.flow_id = a.flow_id and d.operation = 'admin_delete' and d.audit_id >= a.audit_id)
     where exists (select from flowstate.audit_log d
                    where d.flow_id = a.flow_id and d.operation = 'admin_delete' and d.audit_id >= a.audit_id);
    update flowstate.checkpoints c
       set generation = coalesce(
             (select e.generation from flowstate.audit_log e
               where e.flow_id = c.flow_id and e.operation = 'checkpoint' and e.label = c.checkpoint_id::text),
             -(select count(*) from flowstate.audit_log d
                where d.flow_id = c.flow_id and d.operation = 'admin_delete' and d.logged_at >= c.created_at))
     where exists (select from flowstate.audit_log d where d.flow_id = c.flow_id and d.operation = 'admin_delete');
    update flowstate.quarantine q
       set generation = coalesce(
             (select e.generation from flowstate.audit_log e
               where e.flow_id = q.flow_id and e.operation = 'archive' and e.label = q.quarantine_id::text),
             -(select count(*) from flowstate.audit_log d
                where d.flow_id = q.flow_id and d.operation = 'admin_delete' and d.logged_at >= q.archived_at))
     where exists (select from flowstate.audit_log d where d.flow_id = q.flow_id and d.operation = 'admin_delete');
    update flowstate.migration_ledger l
       set generation = coalesce(
             (select e.generation from flowstate.audit_log e
               where e.flow_id = l.flow_id and e.operation = 'import' and e.new_version = 1
               order by e.audit_id limit 1),
             -(select count(*) from flowstate.audit_log d
                where d.flow_id = l.flow_id and d.operation = 'admin_delete' and d.logged_at >= l.migrated_at))
     where exists (select from flowstate.audit_log d where d.flow_id = l.flow_id and d.operation = 'admin_delete');
    set local session_replication_role = origin;
  end if;
end
$lives$;
