-- Why: the inspector's overview counted every flow (flow_counts grouped the whole table: 2 s on a
-- million flows) and had no activity over time. Two small tables kept by triggers on flows
-- (db/functions/internal/65_tallies.sql) answer both by reading a few rows.
-- depends: 0012_lifecycle

-- Flows per tenant, type, phase and status. A write adds its net change to the row of its
-- slot (the backend's pid modulo 16), so concurrent writers of one tenant rarely wait on one
-- row; a reader sums the slots. A slot may go negative (a flow counted in one slot, moved or
-- deleted through another): only the sum means anything.
create table flowstate.flow_tallies (
  client_account_id uuid not null,
  engagement_id     uuid not null,
  flow_type         text not null,
  current_phase     text not null,
  status            text not null,
  slot              smallint not null,
  flows             bigint not null,
  primary key (client_account_id, engagement_id, flow_type, current_phase, status, slot)
);
comment on table flowstate.flow_tallies is
'Number of flows per tenant, flow type, current phase and status, kept by a trigger on flows (sum the slots). Read by flow_counts.';

-- Writes to flows (each one audit row: create, save, transition, recovery, ...) per tenant and
-- hour, slotted the same way.
create table flowstate.activity_tallies (
  client_account_id uuid not null,
  engagement_id     uuid not null,
  hour              timestamptz not null,
  slot              smallint not null,
  writes            bigint not null,
  primary key (client_account_id, engagement_id, hour, slot)
);
create index activity_tallies_hour_idx on flowstate.activity_tallies (hour);
comment on table flowstate.activity_tallies is
'Rows written to flows (inserted, updated, deleted) per tenant and hour (UTC), kept by a trigger on flows (sum the slots). Read by flow_activity.';

-- Each tenant sees its own rows only, as in flows; the trigger writes with all_tenants on.
alter table flowstate.flow_tallies enable row level security;
alter table flowstate.flow_tallies force row level security;
create policy flow_tallies_tenant on flowstate.flow_tallies to flowstate_owner
  using (
    current_setting('flowstate.all_tenants', true) = 'on'
    or (client_account_id = nullif(current_setting('flowstate.client_account_id', true), '')::uuid
        and engagement_id = nullif(current_setting('flowstate.engagement_id', true), '')::uuid));
create policy flow_tallies_admin on flowstate.flow_tallies to flowstate_admin using (true);
alter table flowstate.activity_tallies enable row level security;
alter table flowstate.activity_tallies force row level security;
create policy activity_tallies_tenant on flowstate.activity_tallies to flowstate_owner
  using (
    current_setting('flowstate.all_tenants', true) = 'on'
    or (client_account_id = nullif(current_setting('flowstate.client_account_id', true), '')::uuid
        and engagement_id = nullif(current_setting('flowstate.engagement_id', true), '')::uuid));
create policy activity_tallies_admin on flowstate.activity_tallies to flowstate_admin using (true);

-- What is there already (the trigger counts from here on), and the audited writes of the last
-- 30 days, counted for the tenant that holds the flow id now.
insert into flowstate.flow_tallies
select f.client_account_id, f.engagement_id, f.flow_type, f.current_phase, f.status, 0, count(*)
  from flowstate.flows f
 group by 1, 2, 3, 4, 5;
insert into flowstate.activity_tallies
select f.client_account_id, f.engagement_id, date_bin('1 hour', a.logged_at, timestamptz '2000-01-01 00:00+00'), 0, count(*)
  from flowstate.audit_log a
  join flowstate.flows f on f.flow_id = a.flow_id
 where a.logged_at >= now() - interval '30 days'
   and a.operation not in ('archive', 'forked')  -- events of a flow that write no flow row
 group by 1, 2, 3;

insert into flowstate.settings (name, value, description) values
  ('max_activity_buckets', 1000, 'Most time buckets flow_activity returns in one call.')
on conflict do nothing;
