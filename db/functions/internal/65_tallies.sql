-- flowstate._tally_hour, flowstate._tally_slot
-- Where every writer counts a write: the current hour (buckets aligned on whole UTC hours) and
-- the backend's slot (one of 16 rows per key, so concurrent writers seldom wait on one row).
-- SQL, inlined into the statements that count.
create or replace function flowstate._tally_hour()
returns timestamptz
language sql
stable
as $$
  select date_bin('1 hour', now(), timestamptz '2000-01-01 00:00+00')
$$;

comment on function flowstate._tally_hour() is 'Internal. The hour a write made now is counted in (flowstate.activity_tallies).';

create or replace function flowstate._tally_slot()
returns smallint
language sql
stable
as $$
  select (pg_backend_pid() % 16)::smallint
$$;

comment on function flowstate._tally_slot() is 'Internal. The tally slot of this backend (one of 16).';

-- flowstate._tally_sweep
-- Remove a tally whose slots sum to zero, when a deletion may have left it so: no phase name
-- outlives the flows that had it (an erased flow leaves nothing). Only the slots this
-- transaction can lock at once are summed and removed: a slot another writer holds is skipped,
-- and so is the sweep (that writer's own deletion sweeps after it; a writer moving a live flow
-- out of the phase leaves the tally to the tenant's next deletion: the name is that flow's too).
create or replace function flowstate._tally_sweep(
  p_client_account_id uuid, p_engagement_id uuid, p_flow_type text, p_current_phase text, p_status text
)
returns void
language plpgsql
as $$
declare
  v_rows integer;
  v_slots smallint[];
  v_sum bigint;
begin
  -- Most tallies still count other flows: then one read, and no locks.
  select count(*), coalesce(sum(t.flows), 0) into v_rows, v_sum from flowstate.flow_tallies t
   where (t.client_account_id, t.engagement_id, t.flow_type, t.current_phase, t.status)
       = (p_client_account_id, p_engagement_id, p_flow_type, p_current_phase, p_status);
  if v_sum <> 0 then
    return;
  end if;
  select array_agg(l.slot), sum(l.flows) into v_slots, v_sum
    from (select t.slot, t.flows from flowstate.flow_tallies t
           where (t.client_account_id, t.engagement_id, t.flow_type, t.current_phase, t.status)
               = (p_client_account_id, p_engagement_id, p_flow_type, p_current_phase, p_status)
           order by t.slot for update skip locked) l;
  if v_sum = 0 and cardinality(v_slots) = v_rows then
    delete from flowstate.flow_tallies t
     where (t.client_account_id, t.engagement_id, t.flow_type, t.current_phase, t.status)
         = (p_client_account_id, p_engagement_id, p_flow_type, p_current_phase, p_status)
       and t.slot = any(v_slots);
  end if;
end;
$$;

comment on function flowstate._tally_sweep(uuid, uuid, text, text, text) is
'Internal. Deletes a flowstate.flow_tallies group whose slots sum to zero, if no other writer holds one of them.';

-- flowstate._tally_flows
-- Trigger (after each insert or delete statement on flows, ALWAYS: bulk loads with
-- session_replication_role = replica are counted too): adds the statement's net change in flows per tenant, type, phase and
-- status to flowstate.flow_tallies, and its number of written rows per tenant to the current
-- hour of flowstate.activity_tallies, each in the backend's slot. Rows are locked in key order,
-- activity before tallies (as every writer of them does), so two statements never wait on each
-- other in a cycle.
-- Updates are counted row by row (flowstate._tally_write), or by the statement that makes them
-- (flowstate._write_flow): a save updates one row, for which a statement trigger would fill a
-- transition table and plan its queries again on every call.
create or replace function flowstate._tally_flows()
returns trigger
language plpgsql
security definer
set search_path = ''
set flowstate.all_tenants = 'on'  -- the tallies' row-level security: the flows' rows passed their own
as $$
declare
  v_slot constant smallint := flowstate._tally_slot();
  v_hour constant timestamptz := flowstate._tally_hour();
begin
  if tg_op = 'INSERT' then
    insert into flowstate.activity_tallies as t
    select n.client_account_id, n.engagement_id, v_hour, v_slot, count(*)
      from new_rows n group by 1, 2 order by 1, 2
    on conflict (client_account_id, engagement_id, hour, slot) do update set writes = t.writes + excluded.writes;
    insert into flowstate.flow_tallies as t
    select n.client_account_id, n.engagement_id, n.flow_type, n.current_phase, n.status, v_slot, count(*)
      from new_rows n group by 1, 2, 3, 4, 5 order by 1, 2, 3, 4, 5
    on conflict (client_account_id, engagement_id, flow_type, current_phase, status, slot)
      do update set flows = t.flows + excluded.flows;
  else
    insert into flowstate.activity_tallies as t
    select o.client_account_id, o.engagement_id, v_hour, v_slot, count(*)
      from old_rows o group by 1, 2 order by 1, 2
    on conflict (client_account_id, engagement_id, hour, slot) do update set writes = t.writes + excluded.writes;
    insert into flowstate.flow_tallies as t
    select o.client_account_id, o.engagement_id, o.flow_type, o.current_phase, o.status, v_slot, -count(*)
      from old_rows o group by 1, 2, 3, 4, 5 order by 1, 2, 3, 4, 5
    on conflict (client_account_id, engagement_id, flow_type, current_phase, status, slot)
      do update set flows = t.flows + excluded.flows;
    -- Every empty tally of the tenants that lost flows, not only the deleted flows' own: moves
    -- leave theirs behind, and the phases a deleted flow went through must go with it.
    perform flowstate._tally_sweep(g.client_account_id, g.engagement_id, g.flow_type, g.current_phase, g.status)
       from (select t.client_account_id, t.engagement_id, t.flow_type, t.current_phase, t.status
               from flowstate.flow_tallies t
              where (t.client_account_id, t.engagement_id) in (select o.client_account_id, o.engagement_id from old_rows o)
              group by 1, 2, 3, 4, 5 having sum(t.flows) = 0 order by 1, 2, 3, 4, 5) g;
  end if;
  return null;
end;
$$;

comment on function flowstate._tally_flows() is
'Internal. Trigger: keeps flowstate.flow_tallies (flows per tenant, type, phase, status) and flowstate.activity_tallies (writes per tenant and hour) up to date with each insert or delete statement on flows.';

-- One trigger per event: a statement-level trigger sees only the transition tables of its event.
create or replace trigger flows_tally_insert
  after insert on flowstate.flows referencing new table as new_rows
  for each statement execute function flowstate._tally_flows();
create or replace trigger flows_tally_delete
  after delete on flowstate.flows referencing old table as old_rows
  for each statement execute function flowstate._tally_flows();
alter table flowstate.flows enable always trigger flows_tally_insert;
alter table flowstate.flows enable always trigger flows_tally_delete;

-- flowstate._tally_move
-- Move a flow updated from p_old to p_new between flowstate.flow_tallies rows when its tenant,
-- type, phase or status changed: one flow less in its old tally and one more in its new (the
-- lower key first), in the backend's slot. An old tally left empty is kept (flow_counts skips
-- it): a CrewAI flow changes phase at every step, and deleting the row to insert it again at
-- the next pass cost a tenth of the step's server CPU. Deletions sweep their tenants' empty
-- tallies.
-- Callers count the write in flowstate.activity_tallies first: activity before tallies.
create or replace function flowstate._tally_move(p_old flowstate.flows, p_new flowstate.flows)
returns void
language plpgsql
as $$
begin
  if (p_old.client_account_id, p_old.engagement_id, p_old.flow_type, p_old.current_phase, p_old.status)
     is distinct from (p_new.client_account_id, p_new.engagement_id, p_new.flow_type, p_new.current_phase, p_new.status) then
    insert into flowstate.flow_tallies as t
    select m.client_account_id, m.engagement_id, m.flow_type, m.current_phase, m.status, flowstate._tally_slot(), m.flows
      from (values (p_old.client_account_id, p_old.engagement_id, p_old.flow_type, p_old.current_phase::text, p_old.status::text, -1),
                   (p_new.client_account_id, p_new.engagement_id, p_new.flow_type, p_new.current_phase::text, p_new.status::text, 1))
           m(client_account_id, engagement_id, flow_type, current_phase, status, flows)
     order by 1, 2, 3, 4, 5
    on conflict (client_account_id, engagement_id, flow_type, current_phase, status, slot)
      do update set flows = t.flows + excluded.flows;
  end if;
end;
$$;

comment on function flowstate._tally_move(flowstate.flows, flowstate.flows) is
'Internal. Moves a flow updated from p_old to p_new between flowstate.flow_tallies rows when its tenant, type, phase or status changed.';

-- flowstate._tally_write
-- Count an update of a flow from p_old to p_new: one write more in the current hour of its
-- tenant's activity, then its move between tallies (flowstate._tally_move), in the backend's
-- slot. Plain statements on records: their plans are cached for the session. Called for
-- every update but flowstate._write_flow's, which count themselves in their statement: by the
-- audit triggers (flowstate._audit_flow_change), which see exactly those, and, when
-- session_replication_role = replica turns the audit triggers off, by flowstate._tally_update.
-- Sets all_tenants: the tallies' row-level security (the flow's row passed its own), whatever
-- the session holds.
create or replace function flowstate._tally_write(p_old flowstate.flows, p_new flowstate.flows)
returns void
language plpgsql
set flowstate.all_tenants = 'on'
as $$
begin
  insert into flowstate.activity_tallies as t
  values (p_new.client_account_id, p_new.engagement_id, flowstate._tally_hour(), flowstate._tally_slot(), 1)
  on conflict (client_account_id, engagement_id, hour, slot) do update set writes = t.writes + 1;
  perform flowstate._tally_move(p_old, p_new);
end;
$$;

comment on function flowstate._tally_write(flowstate.flows, flowstate.flows) is
'Internal. Counts an update of a flow in flowstate.activity_tallies and moves the flow between flowstate.flow_tallies rows when its tenant, type, phase or status changed.';

-- flowstate._tally_update
-- Trigger (before update of each flow, only with session_replication_role = replica, when the
-- audit triggers that count the other updates are off): flowstate._tally_write, for every
-- update but flowstate._write_flow's. A trigger with a WHEN clause costs every statement that
-- updates flows a parse and plan of the clause (1.7% of a 1 KB save): so the audit triggers,
-- which fire for these updates anyway, count them the rest of the time.
create or replace function flowstate._tally_update()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform flowstate._tally_write(old, new);
  return new;
end;
$$;

comment on function flowstate._tally_update() is
'Internal. Trigger (session_replication_role = replica only): flowstate._tally_write for an update of a flow that flowstate._write_flow did not count itself.';

-- Every update but flowstate._write_flow's: anyone else's (current_user cannot be forged by a
-- setting) and the owner's that leave the version to the audit trigger (_write_flow's are the
-- only ones of the owner that raise it in the statement).
create or replace trigger flows_tally_update
  before update on flowstate.flows
  for each row when (current_user <> 'flowstate_owner' or new.flow_version = old.flow_version)
  execute function flowstate._tally_update();
alter table flowstate.flows enable replica trigger flows_tally_update;

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
