-- Why: a flow's lifecycle beyond write and read: forks record their parent, an erased flow
-- leaves a tombstone (no content) in an append-only log, and retention policies say what
-- happens to finished flows. The functions are in db/functions (flow_fork, flow_delete, ...).
-- depends: 0007_domains

-- Lineage of a fork, and how far retention compacted a flow. NULL for most flows: no rewrite.
-- (No table CHECK tying the two lineage columns: flows pays for each on every save, see
-- 0007_domains; only flow_fork writes them, both at once.)
alter table flowstate.flows
  add column parent_flow_id uuid,
  add column parent_version flowstate.version_number,
  add column compacted_version bigint;
comment on column flowstate.flows.parent_flow_id is 'The flow this one was forked from (flow_fork); NULL if not a fork.';
comment on column flowstate.flows.parent_version is 'The version of parent_flow_id the fork started from.';
comment on column flowstate.flows.compacted_version is
'The flow_version at which retention last compacted this flow''s history (flow_retention_run); NULL if never.';

-- flow_search lists flows newest update first, ties by flow_id, a page at a time: the tenant
-- and the all-tenant indexes on updated_at end in flow_id too, so a page is a walk down one
-- index that stops after the page, with no sort of a tenant's flows. (Same number of
-- indexes, so a save costs the same.)
create index flows_tenant_updated_id_idx on flowstate.flows (client_account_id, engagement_id, updated_at, flow_id);
drop index flowstate.flows_tenant_updated_idx;
alter index flowstate.flows_tenant_updated_id_idx rename to flows_tenant_updated_idx;
create index flows_updated_at_id_idx on flowstate.flows (updated_at, flow_id);
drop index flowstate.flows_updated_at_idx;
alter index flowstate.flows_updated_at_id_idx rename to flows_updated_at_idx;
-- An engagement belongs to one client account: without saying so, the planner multiplies the
-- two conditions' selectivities and expects a tenant to have a hundredth of its flows.
create statistics flowstate.flows_tenant_stats (dependencies) on client_account_id, engagement_id from flowstate.flows;
alter statistics flowstate.flows_tenant_stats owner to flowstate_owner;
-- Forks of a flow (flow_search's parent_flow_id filter): only forks have an entry.
create index flows_parent_idx on flowstate.flows (parent_flow_id, updated_at, flow_id) where parent_flow_id is not null;
-- Retention candidates, oldest first per flow type: only finished flows have an entry, so
-- running flows' saves pay nothing for these; the second leaves out flows already compacted.
create index flows_terminal_idx on flowstate.flows (flow_type, updated_at)
  where current_phase in ('completed', 'failed');
create index flows_terminal_uncompacted_idx on flowstate.flows (flow_type, updated_at)
  where current_phase in ('completed', 'failed') and compacted_version is distinct from flow_version;

-- Tombstones: one row per erased (delete) or compacted flow, and never any of its content.
create table flowstate.erasures (
  flow_id           uuid not null,
  erasure_id        bigint generated always as identity,
  action            text not null check (action in ('delete', 'compact')),
  client_account_id uuid,
  engagement_id     uuid,
  flow_version      bigint,
  kept_from_version bigint,
  erased_by_user    uuid,
  erased_by_role    text not null,
  erased_at         timestamptz not null default now(),
  reason            text not null,
  row_counts        jsonb not null check (jsonb_typeof(row_counts) = 'object'),
  erased_tx         xid8 not null,
  primary key (flow_id, erasure_id)
);
comment on table flowstate.erasures is
'Append-only log of erasures: one tombstone per flow deleted (flow_delete, flow_erase_tenant, retention) or compacted (retention), saying who, when, why and how many rows of each table went; no content. A deleted flow id cannot be created again.';
comment on column flowstate.erasures.action is 'delete: the flow and all its content are gone; compact: its history before kept_from_version, its checkpoints and quarantine are gone.';
comment on column flowstate.erasures.client_account_id is 'The flow''s tenant; NULL when only leftovers of a flow without a row were erased.';
comment on column flowstate.erasures.flow_version is 'The flow''s version when it was erased or compacted.';
comment on column flowstate.erasures.kept_from_version is 'compact: the oldest version that still rebuilds (flow_state_at); NULL for delete.';
comment on column flowstate.erasures.erased_by_user is 'The user of the request context (NULL for an admin acting across tenants).';
comment on column flowstate.erasures.erased_by_role is 'The calling role (set by the database, not the caller).';
comment on column flowstate.erasures.row_counts is 'Rows removed per table, e.g. {"flows": 1, "audit_log": 12, "checkpoints": 2, ...}.';
comment on column flowstate.erasures.erased_tx is
'The transaction that wrote the tombstone (set by the database): history rows of the flow may be deleted in that transaction only.';

-- Retention as data a DBA edits. One rule per flow type and action; a flow type with no rule
-- of its own follows the default rules (flow_type NULL).
create table flowstate.retention_policies (
  flow_type   text references flowstate.flow_types on delete cascade,
  action      text not null check (action in ('delete', 'compact')),
  after       interval not null check (after >= interval '0'),
  description text not null default '',
  unique nulls not distinct (flow_type, action)
);
comment on table flowstate.retention_policies is
'What flow_retention_run does to flows that have been in a terminal phase (completed, failed) for longer than `after`: delete them (with a tombstone) or compact their history (final state and the last snapshot kept). flow_type NULL: the default, for flow types without rules of their own. Empty: retention does nothing.';
comment on column flowstate.retention_policies.after is 'How long after reaching completed or failed (flows.updated_at) the action applies.';

-- New audit operations: fork (a forked flow''s creation), forked and compact (events on a flow
-- that change no state). The new rule goes in before the old ones are dropped (PostgreSQL 15
-- refuses the next savepoint otherwise); NOT VALID, since every stored value passes it.
alter domain flowstate.audit_operation add constraint audit_operation_lifecycle
  check (value in ('create', 'save', 'put', 'transition', 'checkpoint', 'recover', 'reset', 'archive',
                   'import', 'admin_insert', 'admin_update', 'admin_delete', 'fork', 'forked', 'compact')) not valid;
do $operations$
declare
  v_name name;
begin
  for v_name in select c.conname from pg_catalog.pg_constraint c
                 where c.contypid = 'flowstate.audit_operation'::regtype and c.conname <> 'audit_operation_lifecycle'
  loop
    execute format('alter domain flowstate.audit_operation drop constraint %I', v_name);
  end loop;
end
$operations$;

insert into flowstate.settings (name, value, description) values
  ('max_search_page', 1000, 'Most flows flow_search returns in one page (p_limit).'),
  ('max_reason_chars', 1000, 'Longest reason accepted by flow_delete and flow_erase_tenant, in characters.')
on conflict do nothing;
