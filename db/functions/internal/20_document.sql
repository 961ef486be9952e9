-- flowstate._iso
-- An ISO 8601 UTC timestamp ending in Z, whatever the session's TimeZone.
create or replace function flowstate._iso(p_at timestamptz)
returns text
language sql
stable
as $$
  -- jsonb's own ISO rendering: to_char with a format costs 15 us a call, this under 1 us.
  select (to_jsonb(p_at at time zone 'UTC') #>> '{}') || 'Z'
$$;

comment on function flowstate._iso(timestamptz) is 'Internal. p_at as an ISO 8601 UTC string ending in Z.';

-- flowstate._generation
-- The generation (life) of the flow now at p_flow_id, as the caller may see it (row-level
-- security); NULL when there is none. A flow id can live twice: a DBA deletes a flow and the
-- id is created again. Every record a flow writes (audit rows, checkpoints, quarantine, its
-- migration ledger entry and so its legacy rows) carries the flow's generation, and every
-- reader keeps only the records of this one, so nothing an earlier flow with the same id left
-- behind reaches a later one, whatever the timestamps (equal within one transaction). A
-- function that holds the flow's locked row compares with that row's generation instead.
create or replace function flowstate._generation(p_flow_id uuid)
returns bigint
language plpgsql
stable
as $$
begin
  return (select f.generation from flowstate.flows f where f.flow_id = p_flow_id);
end;
$$;

comment on function flowstate._generation(uuid) is
'Internal. The generation of the flow now at p_flow_id (NULL if none for this tenant): readers keep only records of that generation.';

-- flowstate._checkpoint_entry
-- A checkpoint as documents and flow_checkpoints list it.
create or replace function flowstate._checkpoint_entry(p_checkpoint flowstate.checkpoints)
returns jsonb
language sql
stable
as $$
  select jsonb_build_object('id', p_checkpoint.checkpoint_id, 'phase', p_checkpoint.phase, 'label', p_checkpoint.label,
                            'flow_version', p_checkpoint.flow_version, 'created_at', flowstate._iso(p_checkpoint.created_at))
$$;

comment on function flowstate._checkpoint_entry(flowstate.checkpoints) is
'Internal. A checkpoint as an entry of a document''s checkpoints list: {id, phase, label, flow_version, created_at}.';

-- flowstate._checkpoint_list
-- The `checkpoints` list of a document: the newest checkpoints_in_document (flowstate.settings)
-- of the checkpoints of generation p_generation of the flow (NULL: the current one) taken
-- before p_before, oldest first. The current list is also kept on the flow row
-- (flows.checkpoints, bounded the same way); time travel uses this.
drop function if exists flowstate._checkpoint_list(uuid, timestamptz);
create or replace function flowstate._checkpoint_list(p_flow_id uuid, p_before timestamptz, p_generation bigint default null)
returns jsonb
language plpgsql
stable
as $$
begin
  p_generation := coalesce(p_generation, flowstate._generation(p_flow_id));
  return coalesce((select jsonb_agg(flowstate._checkpoint_entry(n.c) order by (n.c).created_at)
                     from (select c from flowstate.checkpoints c
                            where c.flow_id = p_flow_id and c.generation = p_generation and c.created_at < p_before
                            order by c.created_at desc
                            limit (flowstate._settings() ->> 'checkpoints_in_document')::bigint) n), '[]'::jsonb);
end;
$$;

comment on function flowstate._checkpoint_list(uuid, timestamptz, bigint) is
'Internal. The checkpoints list of a flow document: the newest checkpoints_in_document checkpoints of generation p_generation (NULL: the current flow''s) created before p_before, oldest first.';

-- flowstate._lineage
-- A fork's lineage as its document shows it: {"forked_from": {"flow_id", "flow_version"}}
-- (the flow and version flow_fork started it from); {} for a flow that is not a fork.
-- STABLE, as jsonb_build_object is: declared immutable it could not be inlined, and every
-- audit snapshot paid for parsing and planning it again (a quarter of a 1 KB save).
create or replace function flowstate._lineage(p_flow flowstate.flows)
returns jsonb
language sql
stable
as $$
  select case when p_flow.parent_flow_id is null then '{}'::jsonb
              else jsonb_build_object('forked_from', jsonb_build_object('flow_id', p_flow.parent_flow_id,
                                                                        'flow_version', p_flow.parent_version)) end
$$;

comment on function flowstate._lineage(flowstate.flows) is
'Internal. {"forked_from": {flow_id, flow_version}} for a fork (flow_fork), {} otherwise.';

-- flowstate._document
-- The state document callers see, assembled from a flows row. Without state_data when
-- p_with_state is false: saves return that, since the caller already holds its state_data.
-- state_data goes in with the first and only build: building a jsonb from another walks it
-- again, and a second build (|| or a wrapper object) cost 340 us on a 100 KB state. jsonb's
-- - with an empty key list and || with an empty side return their input as is.
-- SQL, so that it is inlined into the caller (a PL/pgSQL call cost about 110 us a save).
create or replace function flowstate._document(p_flow flowstate.flows, p_with_state boolean)
returns jsonb
language sql
stable
as $$
  select (jsonb_build_object(
            'flow_id', p_flow.flow_id,
            'flow_type', p_flow.flow_type,
            'flow_version', p_flow.flow_version,
            'current_phase', p_flow.current_phase,
            'phases_completed', to_jsonb(p_flow.phases_completed),
            'status', p_flow.status,
            'created_at', flowstate._iso(p_flow.created_at),
            'updated_at', flowstate._iso(p_flow.updated_at),
            'checkpoints', p_flow.checkpoints,
            'metadata', p_flow.metadata || jsonb_build_object(
              'client_account_id', p_flow.client_account_id,
              'engagement_id', p_flow.engagement_id,
              'user_id', p_flow.user_id),
            'state_data', case when p_with_state then p_flow.state_data end)
          - case when p_with_state then '{}'::text[] else '{state_data}'::text[] end)
         || case when p_flow.failed_phase is null then '{}'::jsonb
                 else jsonb_build_object('failed_phase', p_flow.failed_phase) end
         || flowstate._lineage(p_flow)
$$;

comment on function flowstate._document(flowstate.flows, boolean) is
'Internal. The state document of a flows row, with or without state_data.';
