-- Why: the core store. One row per flow is the single source of truth; phase graphs and
-- limits are data a DBA edits with SQL; every change lands in an append-only audit table.
-- Functions live in db/functions and are re-applied on every upgrade; this file is DDL only.

-- Roles are cluster-wide, so create them only where missing.
-- flowstate_owner owns every object (a non-superuser, so forced row-level security applies
-- inside the SECURITY DEFINER functions too); flowstate_app may only EXECUTE functions;
-- flowstate_admin is for DBAs.
do $roles$
begin
  if not exists (select from pg_roles where rolname = 'flowstate_owner') then
    create role flowstate_owner nologin;
  end if;
  if not exists (select from pg_roles where rolname = 'flowstate_app') then
    create role flowstate_app nologin;
  end if;
  if not exists (select from pg_roles where rolname = 'flowstate_admin') then
    create role flowstate_admin nologin;
  end if;
end
$roles$;

create schema if not exists flowstate;
comment on schema flowstate is 'pgflowstate: AI-agent flow state, rules enforced by the database.';

-- Limits a DBA can change: checked before any expensive work.
create table flowstate.settings (
  name        text primary key,
  value       bigint not null check (value > 0),
  description text not null
);
comment on table flowstate.settings is 'Limits a DBA may tune (UPDATE flowstate.settings SET value = ...).';
insert into flowstate.settings (name, value, description) values
  ('max_document_bytes', 33554432, 'Largest accepted state document, in bytes (jsonb binary size).'),
  ('max_nesting_depth', 64, 'Deepest accepted nesting of objects and arrays in a document.'),
  ('audit_snapshot_every', 100, 'Most audit change records between two full snapshots of a flow (bounds rebuild work).'),
  ('audit_diff_min_bytes', 4096, 'States smaller than this are audited as full copies: a diff would cost more than it saves.');

-- Phase graphs as data. An open type has no phase list: any phase, any order
-- (`completed` and `failed` are terminal for every type).
create table flowstate.flow_types (
  flow_type     text primary key check (flow_type ~ '^[a-z][a-z0-9_]{0,62}$'),
  initial_phase text check (initial_phase not in ('completed', 'failed')),
  is_open       boolean not null default false,
  description   text not null default '',
  check (is_open = (initial_phase is null))
);
comment on table flowstate.flow_types is
'Flow types. A closed type starts at initial_phase and follows flowstate.phase_transitions; an open type (is_open) allows any phase in any order.';

create table flowstate.phase_transitions (
  flow_type  text not null references flowstate.flow_types on delete cascade,
  from_phase text not null check (from_phase not in ('completed', 'failed') and from_phase <> ''),
  to_phase   text not null check (to_phase <> 'failed' and to_phase <> ''),
  primary key (flow_type, from_phase, to_phase)
);
create index phase_transitions_to_idx on flowstate.phase_transitions (flow_type, to_phase);
comment on table flowstate.phase_transitions is
'Edges of a closed flow type''s phase graph. Moving to `failed` is allowed from any non-terminal phase and is not listed.';

insert into flowstate.flow_types (flow_type, initial_phase, is_open, description) values
  ('discovery', 'data_import', false, 'Migration discovery: import, map, cleanse, inventory, analyse.'),
  ('crewai', null, true, 'CrewAI flows: the last persisted method is the current phase, any order.');
insert into flowstate.phase_transitions (flow_type, from_phase, to_phase) values
  ('discovery', 'data_import', 'field_mapping'),
  ('discovery', 'field_mapping', 'data_cleansing'),
  ('discovery', 'data_cleansing', 'asset_inventory'),
  ('discovery', 'asset_inventory', 'dependency_analysis'),
  ('discovery', 'dependency_analysis', 'tech_debt_analysis'),
  ('discovery', 'tech_debt_analysis', 'completed');

-- One row per flow. Tenant ids are columns (indexed, row-level security); the document
-- callers see is assembled from these columns by flowstate._document().
create table flowstate.flows (
  flow_id           uuid primary key,
  flow_type         text not null references flowstate.flow_types,
  client_account_id uuid not null,
  engagement_id     uuid not null,
  user_id           uuid not null,
  flow_version      bigint not null check (flow_version >= 1),
  current_phase     text not null check (current_phase <> ''),
  phases_completed  text[] not null,
  status            text not null
    check (status in ('running', 'paused', 'recovered', 'completed', 'failed')),
  failed_phase      text,
  state_data        jsonb not null check (jsonb_typeof(state_data) = 'object'),
  metadata          jsonb not null default '{}' check (jsonb_typeof(metadata) = 'object'),
  last_label        text,
  -- size and count of the change records written since the last full snapshot (see audit_log)
  history_bytes     bigint not null default 0,
  history_changes   integer not null default 0,
  created_at        timestamptz not null default now(),
  updated_at        timestamptz not null default now(),
  check ((current_phase = 'failed') = (failed_phase is not null)),
  check ((status = 'completed') = (current_phase = 'completed')),
  check ((status = 'failed') = (current_phase = 'failed'))
);
-- (state_data gets lz4 compression in db/functions/07_compression.sql, where the server has it.)
create index flows_tenant_updated_idx on flowstate.flows (client_account_id, engagement_id, updated_at);
create index flows_updated_at_idx on flowstate.flows (updated_at);
comment on table flowstate.flows is
'Current state of every flow (one row per flow). Written only through the flowstate.flow_* functions; DBA edits are audited.';
comment on column flowstate.flows.user_id is 'The user who created the flow.';
comment on column flowstate.flows.metadata is 'Caller metadata beyond the tenant ids (which are columns).';
comment on column flowstate.flows.last_label is 'Label of the last write (a CrewAI method name, for example).';

-- Tenant isolation in the database itself: the functions run as flowstate_owner with
-- forced row-level security, so a row of another tenant is invisible even to a buggy function.
-- The request context is published in transaction-local settings by flowstate._context().
alter table flowstate.flows enable row level security;
alter table flowstate.flows force row level security;
create policy flows_tenant on flowstate.flows to flowstate_owner
  using (
    current_setting('flowstate.all_tenants', true) = 'on'
    or (client_account_id = nullif(current_setting('flowstate.client_account_id', true), '')::uuid
        and engagement_id = nullif(current_setting('flowstate.engagement_id', true), '')::uuid));
create policy flows_admin on flowstate.flows to flowstate_admin using (true);

-- Append-only audit trail: one row per change, written by a trigger on flows.
-- `changes` holds only what changed (see flowstate._jsonb_diff); `snapshot` a full document
-- now and then, so any version rebuilds from one snapshot plus a bounded run of changes.
-- Partitioned by time so retention drops a partition instead of deleting rows.
create table flowstate.audit_log (
  flow_id       uuid not null,
  audit_id      bigint generated always as identity,
  logged_at     timestamptz not null default now(),
  operation     text not null,
  old_version   bigint,
  new_version   bigint not null,
  old_phase     text,
  new_phase     text,
  actor_user_id uuid,
  actor_role    text not null,
  label         text,
  changes       jsonb,
  snapshot      jsonb,
  -- One index serves every lookup (a flow's version, its newest snapshot, its rows in order)
  -- and a save touches no other: fewer random index pages as the trail grows.
  primary key (flow_id, new_version, audit_id, logged_at),
  check (operation in ('create', 'save', 'put', 'transition', 'checkpoint', 'recover',
                       'reset', 'archive', 'import', 'admin_update', 'admin_delete')),
  check (old_version is null or new_version >= old_version)
) partition by range (logged_at);
create table flowstate.audit_log_default partition of flowstate.audit_log default;
comment on table flowstate.audit_log is
'Append-only history of every change to every flow. Rows are written by triggers and never updated or deleted.';

-- Which db/functions files are applied, so a repeated upgrade re-applies nothing.
create table flowstate.function_files (
  file_name  text primary key,
  sha256     text not null,
  applied_at timestamptz not null default now()
);
comment on table flowstate.function_files is 'db/functions files applied by `pgflowstate db upgrade`, with their hashes.';
