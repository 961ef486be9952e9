-- flowstate._tally_flows
-- Trigger (after each statement on flows, ALWAYS: bulk loads with session_replication_role =
-- replica are counted too): adds the statement's net change in flows per tenant, type, phase and
-- status to flowstate.flow_tallies, and its number of written rows per tenant to the current
-- hour of flowstate.activity_tallies, each in the backend's slot. Rows are locked in key order,
-- tallies before activity, so two statements never wait on each other in a cycle.
-- A save that keeps its phase and status nets to nothing in flow_tallies and writes only the
-- activity row.
create or replace function flowstate._tally_flows()
returns trigger
language plpgsql
security definer
set search_path = ''
set flowstate.all_tenants = 'on'  -- the tallies' row-level security: the flows' rows passed their own
as $$
declare
  v_slot constant smallint := pg_backend_pid() % 16;
  v_hour constant timestamptz := date_bin('1 hour', now(), timestamptz '2000-01-01 00:00+00');
begin
  if tg_op = 'INSERT' then
    insert into flowstate.flow_tallies as t
    select n.client_account_id, n.engagement_id, n.flow_type, n.current_phase, n.status, v_slot, count(*)
      from new_rows n group by 1, 2, 3, 4, 5 order by 1, 2, 3, 4, 5
    on conflict (client_account_id, engagement_id, flow_type, current_phase, status, slot)
      do update set flows = t.flows + excluded.flows;
    insert into flowstate.activity_tallies as t
    select n.client_account_id, n.engagement_id, v_hour, v_slot, count(*)
      from new_rows n group by 1, 2 order by 1, 2
    on conflict (client_account_id, engagement_id, hour, slot) do update set writes = t.writes + excluded.writes;
  elsif tg_op = 'UPDATE' then
    insert into flowstate.flow_tallies as t
    select d.client_account_id, d.engagement_id, d.flow_type, d.current_phase, d.status, v_slot, sum(d.flows)
      from (select n.client_account_id, n.engagement_id, n.flow_type, n.current_phase, n.status, 1 as flows from new_rows n
            union all
            select o.client_account_id, o.engagement_id, o.flow_type, o.current_phase, o.status, -1 from old_rows o) d
     group by 1, 2, 3, 4, 5 having sum(d.flows) <> 0 order by 1, 2, 3, 4, 5
    on conflict (client_account_id, engagement_id, flow_type, current_phase, status, slot)
      do update set flows = t.flows + excluded.flows;
    insert into flowstate.activity_tallies as t
    select n.client_account_id, n.engagement_id, v_hour, v_slot, count(*)
      from new_rows n group by 1, 2 order by 1, 2
    on conflict (client_account_id, engagement_id, hour, slot) do update set writes = t.writes + excluded.writes;
  else
    insert into flowstate.flow_tallies as t
    select o.client_account_id, o.engagement_id, o.flow_type, o.current_phase, o.status, v_slot, -count(*)
      from old_rows o group by 1, 2, 3, 4, 5 order by 1, 2, 3, 4, 5
    on conflict (client_account_id, engagement_id, flow_type, current_phase, status, slot)
      do update set flows = t.flows + excluded.flows;
    insert into flowstate.activity_tallies as t
    select o.client_account_id, o.engagement_id, v_hour, v_slot, count(*)
      from old_rows o group by 1, 2 order by 1, 2
    on conflict (client_account_id, engagement_id, hour, slot) do update set writes = t.writes + excluded.writes;
  end if;
  return null;
end;
$$;

comment on function flowstate._tally_flows() is
'Internal. Trigger: keeps flowstate.flow_tallies (flows per tenant, type, phase, status) and flowstate.activity_tallies (writes per tenant and hour) up to date with each statement on flows.';

-- One trigger per event: a statement-level trigger sees only the transition tables of its event.
create or replace trigger flows_tally_insert
  after insert on flowstate.flows referencing new table as new_rows
  for each statement execute function flowstate._tally_flows();
create or replace trigger flows_tally_update
  after update on flowstate.flows referencing old table as old_rows new table as new_rows
  for each statement execute function flowstate._tally_flows();
create or replace trigger flows_tally_delete
  after delete on flowstate.flows referencing old table as old_rows
  for each statement execute function flowstate._tally_flows();
alter table flowstate.flows enable always trigger flows_tally_insert;
alter table flowstate.flows enable always trigger flows_tally_update;
alter table flowstate.flows enable always trigger flows_tally_delete;

-- flowstate._tally_truncate
-- Trigger (after truncate on flows): the counts go with the flows (activity stays: it happened).
create or replace function flowstate._tally_truncate()
returns trigger
language plpgsql
security definer
set search_path = ''
set flowstate.all_tenants = 'on'
as $$
begin
  delete from flowstate.flow_tallies;
  return null;
end;
$$;

comment on function flowstate._tally_truncate() is
'Internal. Trigger: empties flowstate.flow_tallies when flows is truncated.';

create or replace trigger flows_tally_truncate
  after truncate on flowstate.flows
  for each statement execute function flowstate._tally_truncate();
alter table flowstate.flows enable always trigger flows_tally_truncate;
