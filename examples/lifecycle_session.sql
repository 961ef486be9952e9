-- A DBA's session in psql through a flow's lifecycle: find flows (search, counts), fork one
-- at an old version and resume the fork, delete a flow with a reason, read its tombstone, see
-- a late write refused, and run retention with a policy (dry run first).
-- Run: psql "$DSN" -v ON_ERROR_STOP=1 -f examples/lifecycle_session.sql
\set ctx '{"client_account_id": "3d6f2a1b-8c4e-4f7a-9b2d-1e5c7a9f3b60", "engagement_id": "a4e8c2d6-0b3f-4a1e-8d5c-2f7b9e1a3c54", "user_id": "c7b1e5a9-3d2f-4c8e-b6a4-9e0d2f5b7a18"}'
select gen_random_uuid() as crawl, gen_random_uuid() as audit, gen_random_uuid() as done \gset

-- Three flows: one saved three times, one moved on, one finished.
select flowstate.flow_save_state(:'crawl', jsonb_build_object('flow_id', :'crawl', 'current_phase', 'data_import',
         'phases_completed', '[]'::jsonb, 'state_data', '{"rows": 100}'::jsonb, 'metadata', '{"source": "cmdb"}'::jsonb),
         null, :'ctx') ->> 'flow_version' as v1;
select flowstate.flow_save_state(:'crawl', jsonb_build_object('flow_id', :'crawl', 'current_phase', 'data_import',
         'phases_completed', '[]'::jsonb, 'state_data', '{"rows": 250, "batch": 2}'::jsonb, 'metadata', '{"source": "cmdb"}'::jsonb),
         1, :'ctx') ->> 'flow_version' as v2;
select flowstate.flow_save_state(:'crawl', jsonb_build_object('flow_id', :'crawl', 'current_phase', 'data_import',
         'phases_completed', '[]'::jsonb, 'state_data', '{"rows": 9999, "batch": 3, "oops": "bad mapping"}'::jsonb,
         'metadata', '{"source": "cmdb"}'::jsonb), 2, :'ctx') ->> 'flow_version' as v3;
select flowstate.flow_save_state(:'audit', jsonb_build_object('flow_id', :'audit', 'current_phase', 'data_import',
         'phases_completed', '[]'::jsonb, 'state_data', '{}'::jsonb, 'metadata', '{"source": "csv"}'::jsonb), null, :'ctx') is not null as created;
select flowstate.flow_transition_phase(:'audit', 'field_mapping', null, :'ctx') ->> 'current_phase' as audit_phase;
select flowstate.flow_save_state(:'done', jsonb_build_object('flow_id', :'done', 'current_phase', 'data_import',
         'phases_completed', '[]'::jsonb, 'state_data', '{"rows": 1}'::jsonb), null, :'ctx') is not null as created;
select flowstate.flow_transition_phase(:'done', 'failed', null, :'ctx') ->> 'status' as done_status;

-- Find: this tenant's flows from a source, newest update first, two per page.
select flowstate.flow_search('{"metadata": {"source": "cmdb"}}', :'ctx', null, 2) -> 'flows' -> 0 ->> 'flow_id' = :'crawl' as crawl_found;
select flowstate.flow_search('{}', :'ctx', null, 2) as page \gset
select d ->> 'flow_id' as flow_id, d ->> 'current_phase' as phase, d ->> 'status' as status
  from jsonb_array_elements(:'page'::jsonb -> 'flows') d;
-- The next page starts where the cursor points.
select d ->> 'flow_id' as flow_id, d ->> 'current_phase' as phase, d ->> 'status' as status
  from jsonb_array_elements(flowstate.flow_search('{}', :'ctx', :'page'::jsonb ->> 'next', 2) -> 'flows') d;
select * from flowstate.flow_counts(:'ctx');

-- Fork the crawl at version 2, before the bad mapping, and resume the fork.
select flowstate.flow_fork(:'crawl', 2, null, :'ctx') as fork \gset
select :'fork'::jsonb ->> 'flow_id' as fork_id, :'fork'::jsonb -> 'forked_from' as forked_from,
       :'fork'::jsonb -> 'state_data' as state_data \gset
select :'forked_from' as forked_from, :'state_data' as state_data;
select flowstate.flow_save_state(:'fork_id', (:'fork'::jsonb) || '{"state_data": {"rows": 250, "batch": 3}}', 1, :'ctx')
         ->> 'flow_version' as fork_version;
select flowstate.flow_transition_phase(:'fork_id', 'field_mapping', 2, :'ctx') ->> 'current_phase' as fork_phase;
-- Both histories say so: a fork row on the fork, a forked event (no new version) on the parent.
select operation, old_version, new_version, label from flowstate.flow_history(:'fork_id', :'ctx');
select operation, old_version, new_version, label from flowstate.flow_history(:'crawl', :'ctx') where operation = 'forked';

-- Delete the bad crawl with a reason: everything of it goes; the tombstone has no content.
select jsonb_pretty(flowstate.flow_delete(:'crawl', 'bad mapping, superseded by its fork', :'ctx')) as tombstone;
select flow_id, action, erased_by_role, reason, row_counts from flowstate.erasures where flow_id = :'crawl';
select flowstate.flow_load_state(:'crawl', :'ctx') is null as gone,
       (select count(*) from flowstate.audit_log where flow_id = :'crawl') as audit_rows_left;

-- A late write under the erased id (a CrewAI step arriving after the delete) is refused.
\set ON_ERROR_STOP off
\set SHOW_CONTEXT never
select flowstate.flow_record_step(:'crawl', 'late_step', '{"rows": 1}', 'late_step', :'ctx');
\set ON_ERROR_STOP on
\set SHOW_CONTEXT errors

-- Retention, inside a transaction rolled back at the end so the demo leaves no policy behind:
-- failed discovery flows are compacted as soon as they finish (after 0), others deleted a
-- year after. A dry run lists first.
begin;
insert into flowstate.retention_policies (flow_type, action, after, description) values
  ('discovery', 'compact', '0', 'demo: keep the final state of finished discovery flows, drop their history'),
  (null, 'delete', '365 days', 'demo: delete finished flows a year after');
select jsonb_pretty(flowstate.flow_retention_run(100, true)) as would_do;
select f ->> 'action' as action, f ->> 'flow_id' = :'done' as is_done
  from jsonb_array_elements(flowstate.flow_retention_run(100, false) -> 'flows') f;
select operation, old_version, new_version, label from flowstate.flow_history(:'done', :'ctx');
select flowstate.flow_load_state(:'done', :'ctx') ->> 'status' as still_loads;
rollback;
