-- flow_recover_failed restores the newest checkpoint whose snapshot still validates. With
-- every checkpoint valid that is the newest one; after a DBA removes an edge of the graph
-- (DELETE FROM flowstate.phase_transitions), the newest checkpoint, whose phase path used
-- it, is skipped and the older valid one is restored: its phase, completed phases and
-- state_data as the next version, status recovered, returned whole with the id of the
-- checkpoint it restored, audited as 'recover' labelled with the checkpoint id.
begin;
\ir ../_helpers.sql
select plan(11);

-- A failed discovery flow with checkpoints A (data_import), B (field_mapping) and
-- C (data_cleansing), each taken with its own state_data {"at": name}.
create temporary table checkpoint_ids (flow_id uuid, name text, checkpoint_id uuid) on commit drop;
create function pg_temp.failed_flow_with_checkpoints() returns uuid language plpgsql as $$
declare
  v_id uuid := flowstate_tests.make_flow(1);
  v_completed text[] := '{}';
  v_phase text;
  v_name text;
begin
  foreach v_phase in array array['data_import', 'field_mapping', 'data_cleansing'] loop
    v_name := chr(ascii('A') + cardinality(v_completed));
    if v_phase <> 'data_import' then
      perform flowstate.flow_transition_phase(v_id, v_phase, null, flowstate_tests.ctx());
    end if;
    perform flowstate.flow_put_state(v_id, flowstate_tests.doc(v_id, v_phase, v_completed, jsonb_build_object('at', v_name)),
                                     null, flowstate_tests.ctx());
    insert into checkpoint_ids
    values (v_id, v_name, flowstate.flow_create_checkpoint(v_id, null, 'checkpoint ' || v_name, flowstate_tests.ctx()));
    v_completed := v_completed || v_phase;
  end loop;
  perform flowstate.flow_transition_phase(v_id, 'failed', null, flowstate_tests.ctx());
  return v_id;
end;
$$;

select pg_temp.failed_flow_with_checkpoints() as first_id \gset
select pg_temp.failed_flow_with_checkpoints() as second_id \gset

-- All valid: the newest (C) wins.
select flowstate.flow_recover_failed(:'first_id', flowstate_tests.ctx()) as first \gset
select is(:'first'::jsonb -> 'state_data', '{"at": "C"}'::jsonb, 'with every checkpoint valid, the newest is restored');

-- A DBA removes field_mapping -> data_cleansing: C's path no longer walks the graph.
delete from flowstate.phase_transitions
 where flow_type = 'discovery' and from_phase = 'field_mapping' and to_phase = 'data_cleansing';
select flowstate_tests.audit_count(:'second_id') as audit_before \gset
set local role flowstate_app;
select flowstate.flow_recover_failed(:'second_id', flowstate_tests.ctx()) as second \gset
reset role;

select is(:'second'::jsonb -> 'state_data', '{"at": "B"}'::jsonb, 'the newest checkpoint that still validates (B) is restored');
select is(:'second'::jsonb ->> 'current_phase', 'field_mapping', 'with its phase');
select is(:'second'::jsonb -> 'phases_completed', '["data_import"]'::jsonb, 'and its completed phases');
select is(:'second'::jsonb ->> 'status', 'recovered', 'the flow is marked recovered');
select ok(not :'second'::jsonb ? 'failed_phase', 'and is no longer failed');
select is((:'second'::jsonb ->> 'flow_version')::int, 8, 'as the next version (8)');
select is(:'second'::jsonb - 'restored_checkpoint_id', flowstate.flow_load_state(:'second_id', flowstate_tests.ctx()),
          'the whole stored document is returned');
select is((:'second'::jsonb ->> 'restored_checkpoint_id')::uuid,
          (select checkpoint_id from checkpoint_ids where flow_id = :'second_id' and name = 'B'),
          'with the id of the checkpoint it restored');
select is((select jsonb_build_object('operation', operation, 'old_version', old_version, 'new_version', new_version, 'label', label)
             from flowstate.audit_log where flow_id = :'second_id' order by audit_id desc limit 1),
          jsonb_build_object('operation', 'recover', 'old_version', 7, 'new_version', 8, 'label',
                             (select checkpoint_id from checkpoint_ids where flow_id = :'second_id' and name = 'B')),
          'audited as recover, labelled with the restored checkpoint''s id');
select is(flowstate_tests.audit_count(:'second_id'), :audit_before + 1::bigint, 'one audit row');

select * from finish();
rollback;
