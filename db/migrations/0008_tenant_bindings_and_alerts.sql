-- Why: keep tenants apart at the edges. Any role may LISTEN, so alerts keep their details in
-- a table read through flow_alert (the NOTIFY carries only the event and an opaque id); a
-- request context is only a claim, so DBAs can bind login roles to the tenants they may act
-- for; and a DBA's direct INSERT is audited as admin_insert, not as an application's create.
-- depends: 0007_domains

-- One row per alert (recovery, corruption reset). Per-flow (flow_id leads the key, so it can
-- be distributed and erased with its flow); tenant columns for row-level security.
create table flowstate.alerts (
  flow_id           uuid not null,
  alert_id          uuid not null default gen_random_uuid(),
  event             text not null,
  client_account_id uuid not null,
  engagement_id     uuid not null,
  details           jsonb not null,
  created_at        timestamptz not null default clock_timestamp(),
  primary key (flow_id, alert_id)
);
-- flow_alert looks an alert up by its id alone (the notification carries nothing else).
create index alerts_alert_id_idx on flowstate.alerts (alert_id);
comment on table flowstate.alerts is
'Alerts sent on channel flowstate_alerts, with their details; read through flowstate.flow_alert by the flow''s tenant (or an admin).';
comment on column flowstate.alerts.event is 'flow_recovered or corrupted_state_reset (the notification carries this and alert_id only).';
comment on column flowstate.alerts.details is 'flow_type, flow_version, current_phase, actor_user_id, actor_role, and the event''s own keys.';

alter table flowstate.alerts enable row level security;
alter table flowstate.alerts force row level security;
create policy alerts_tenant on flowstate.alerts to flowstate_owner
  using (
    current_setting('flowstate.all_tenants', true) = 'on'
    or (client_account_id = nullif(current_setting('flowstate.client_account_id', true), '')::uuid
        and engagement_id = nullif(current_setting('flowstate.engagement_id', true), '')::uuid));
create policy alerts_admin on flowstate.alerts to flowstate_admin using (true);

-- Bindings of login roles to tenants, edited by DBAs with plain SQL. A role with bindings may
-- only name their tenants in a request context; a role without any acts for any tenant.
create table flowstate.role_tenants (
  role_name         text not null check (role_name <> ''),
  client_account_id uuid not null,
  engagement_id     uuid,
  created_at        timestamptz not null default now(),
  unique nulls not distinct (role_name, client_account_id, engagement_id)
);
comment on table flowstate.role_tenants is
'Tenants a role may act for (INSERT a row per tenant; engagement_id NULL = every engagement of the client account). A role with rows here is refused any other context, as if its flows did not exist; a role without rows may name any tenant. Applies to the session user and to the role set by SET ROLE, by name.';
comment on column flowstate.role_tenants.role_name is 'A role name as session_user or SET ROLE gives it (exact, case-sensitive).';
comment on column flowstate.role_tenants.engagement_id is 'NULL: every engagement of the client account.';

-- admin_insert joins the operations. Widening only: every stored value passes the old rule, so
-- the audit trail is not scanned again (NOT VALID applies the rule to new values only). The
-- new rule goes in before the old one is dropped: the other order makes PostgreSQL 15 refuse
-- the next savepoint ("unprocessed inval messages"), and yoyo runs each statement in one.
alter domain flowstate.audit_operation add constraint audit_operation_known
  check (value in ('create', 'save', 'put', 'transition', 'checkpoint', 'recover', 'reset', 'archive',
                   'import', 'admin_insert', 'admin_update', 'admin_delete')) not valid;
alter domain flowstate.audit_operation drop constraint audit_operation_check;
