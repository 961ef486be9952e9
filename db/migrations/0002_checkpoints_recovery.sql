-- Why: checkpoints, recovery and quarantine. A checkpoint is a full snapshot a flow can be
-- restored to; a corrupted document is archived (never deleted) before its flow is reset;
-- retention of the audit trail is itself recorded.
-- depends: 0001_core

create table flowstate.checkpoints (
  flow_id       uuid not null,
  checkpoint_id uuid not null default gen_random_uuid(),
  phase         text not null,
  label         text,
  flow_version  bigint not null,
  snapshot      jsonb not null check (jsonb_typeof(snapshot) = 'object'),
  created_by    uuid,
  created_at    timestamptz not null default clock_timestamp(),
  primary key (flow_id, checkpoint_id)
);
create index checkpoints_flow_created_idx on flowstate.checkpoints (flow_id, created_at);
comment on table flowstate.checkpoints is
'Full snapshots of flows taken by flow_create_checkpoint; restored by flow_recover_from_checkpoint and flow_recover_failed.';

create table flowstate.quarantine (
  flow_id       uuid not null,
  quarantine_id uuid not null default gen_random_uuid(),
  flow_version  bigint not null,
  document      jsonb not null,
  errors        text[] not null,
  archived_by   uuid,
  archived_at   timestamptz not null default clock_timestamp(),
  primary key (flow_id, quarantine_id)
);
comment on table flowstate.quarantine is
'Corrupted flow documents archived unchanged by flow_handle_corrupted before the flow was reset.';

create table flowstate.retention_log (
  ran_at             timestamptz not null default clock_timestamp() primary key,
  ran_by             text not null,
  before             timestamptz not null,
  partitions_dropped text[] not null,
  flows_rebased      bigint not null
);
comment on table flowstate.retention_log is 'Every run of flow_audit_retention: who dropped which audit partitions.';

-- A checkpoint or archive names the version it was taken at and changes nothing else.
alter table flowstate.audit_log add constraint audit_log_event_shape_check
  check (operation not in ('checkpoint', 'archive') or (old_version = new_version and changes is null));
