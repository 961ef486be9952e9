-- A DBA's session in psql: create a flow, save it 50 times, checkpoint, corrupt it through
-- the admin path, quarantine and reset it, recover it; then read its history and rebuild
-- every saved version. Run: psql "$DSN" -v ON_ERROR_STOP=1 -f examples/audit_session.sql
\set ctx '{"client_account_id": "0b7a3c8e-1d5f-4e2a-9c61-2f0d8e4b7a10", "engagement_id": "5e2f9a41-7c3b-4d8e-a1f6-0c9b2d7e4f31", "user_id": "9c4e1b7a-2f8d-4a3e-b5c6-7d1e0f9a2b43"}'
select gen_random_uuid() as flow_id \gset
select set_config('my.flow_id', :'flow_id', false), set_config('my.ctx', :'ctx', false) \gset
begin;
create temp table saved (version bigint primary key, document jsonb) on commit preserve rows;

-- Create, then 50 saves; keep what each save stored (its return plus the state sent).
insert into saved
select 1, flowstate.flow_save_state(:'flow_id', jsonb_build_object('flow_id', :'flow_id',
         'current_phase', 'data_import', 'phases_completed', '[]'::jsonb, 'state_data', '{"rows": 0}'::jsonb),
         null, :'ctx') || '{"state_data": {"rows": 0}}';
do $$
declare
  v_id uuid := current_setting('my.flow_id')::uuid;
  v_ctx jsonb := current_setting('my.ctx')::jsonb;
  v_state jsonb;
begin
  for i in 1..50 loop
    v_state := jsonb_build_object('rows', i * 100, 'batch', jsonb_build_object('n', i, 'ok', i % 7 <> 0));
    insert into saved select i + 1, flowstate.flow_save_state(v_id, jsonb_build_object('flow_id', v_id,
        'current_phase', 'data_import', 'phases_completed', '[]'::jsonb, 'state_data', v_state), i, v_ctx)
      || jsonb_build_object('state_data', v_state);
  end loop;
end $$;
commit;

-- A checkpoint of the good state (version 51).
select flowstate.flow_create_checkpoint(:'flow_id', null, 'after 50 saves', :'ctx') as checkpoint_id \gset

-- Corruption through the admin path: a direct UPDATE, recorded as admin_update.
update flowstate.flows set current_phase = 'no_such_phase', state_data = '{"rows": "garbage"}'
 where flow_id = :'flow_id';
select * from flowstate.flow_validate_all() where flow_id = :'flow_id';

-- Quarantine and reset (alerts on flowstate_alerts), then recover from the checkpoint.
select flowstate.flow_handle_corrupted(:'flow_id', :'ctx') -> 'errors' as quarantined_because;
select flowstate.flow_recover_failed(:'flow_id', :'ctx') - 'state_data' as recovered;

-- Every step is in the history.
select operation, old_version, new_version, old_phase, new_phase, actor_role, label, snapshot
  from flowstate.flow_history(:'flow_id', :'ctx') where operation <> 'save';
select count(*) filter (where operation = 'save') as saves, count(*) as rows
  from flowstate.flow_history(:'flow_id', :'ctx');

-- Each saved version rebuilds exactly as it was saved.
select count(*) as versions_saved,
       count(*) filter (where flowstate.flow_state_at(:'flow_id', version, :'ctx') = document) as rebuilt_exactly
  from saved;
\if :{?strict}
\else
select count(*) = 51 and bool_and(flowstate.flow_state_at(:'flow_id', version, :'ctx') = document) as ok from saved \gset
\if :ok
\echo every version rebuilt exactly
\else
\echo 'MISMATCH: some version did not rebuild exactly'
\endif
\endif
