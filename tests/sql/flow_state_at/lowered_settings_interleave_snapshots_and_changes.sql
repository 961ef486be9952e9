-- With audit_snapshot_every lowered to 5 and audit_diff_min_bytes to 1 (flowstate.settings),
-- even a small state is audited as change records, with a full snapshot at least every fifth
-- version; flow_state_at still rebuilds every version exactly, through random edits (seeded),
-- transitions, a DBA's direct UPDATE and a recovery from a checkpoint.
begin;
\ir ../_helpers.sql
select plan(6);

update flowstate.settings set value = 5 where name = 'audit_snapshot_every';
update flowstate.settings set value = 1 where name = 'audit_diff_min_bytes';
select setseed(0.31);
create temporary table saved (version bigint primary key, document jsonb) on commit drop;
select set_config('test.flow_id', gen_random_uuid()::text, true) as flow_id \gset

do $test$
declare
  v_id uuid := current_setting('test.flow_id');
  v_ctx jsonb := flowstate_tests.ctx();
  v_state jsonb := flowstate_tests.large_state(3, 8) || jsonb_build_object('work', flowstate_tests.random_object(4));
  v_doc jsonb;
  v_checkpoint uuid;
begin
  v_doc := flowstate.flow_save_state(v_id, flowstate_tests.doc(v_id, p_state_data => v_state), null, v_ctx);
  insert into saved values (1, v_doc || jsonb_build_object('state_data', v_state));
  for i in 1 .. 70 loop
    if i % 15 = 0 then
      v_doc := flowstate.flow_transition_phase(v_id, (select e.to_phase from flowstate.phase_transitions e
                                                       where e.flow_type = 'discovery' and e.from_phase = v_doc ->> 'current_phase'),
                                               null, v_ctx);
    elsif i = 22 then
      v_checkpoint := flowstate.flow_create_checkpoint(v_id, null, 'before the DBA', v_ctx);
      update flowstate.flows set state_data = state_data - 'work' where flow_id = v_id;
      v_doc := flowstate.flow_load_state(v_id, v_ctx);
      v_state := v_doc -> 'state_data';
      v_doc := v_doc - 'state_data';
    elsif i = 40 then
      v_doc := flowstate.flow_recover_from_checkpoint(v_id, v_checkpoint, null, v_ctx);
      v_state := v_doc -> 'state_data';
      v_doc := v_doc - 'state_data';
    else
      v_state := jsonb_set(v_state, '{work}', flowstate_tests.random_edit(coalesce(v_state -> 'work', '{}'), 4));
      v_doc := flowstate.flow_save_state(v_id, v_doc || jsonb_build_object('state_data', v_state),
                                         (v_doc ->> 'flow_version')::bigint, v_ctx);
    end if;
    insert into saved values ((v_doc ->> 'flow_version')::bigint, v_doc || jsonb_build_object('state_data', v_state));
  end loop;
end;
$test$;

select is(array(select version from saved order by version), array(select generate_series(1::bigint, 71)),
          'every write made one new version, 1 to 71');
select cmp_ok((select count(*) from flowstate.audit_log where flow_id = :'flow_id' and changes is not null and snapshot is null),
              '>=', 20::bigint, 'many versions are change records');
select cmp_ok((select count(*) from flowstate.audit_log where flow_id = :'flow_id' and snapshot is not null and new_version > 1),
              '>=', 10::bigint, 'with snapshots between them');
select is((select max(new_version - base)
             from (select a.new_version,
                          (select max(s.new_version) from flowstate.audit_log s
                            where s.flow_id = a.flow_id and s.snapshot is not null and s.new_version <= a.new_version) as base
                     from flowstate.audit_log a
                    where a.flow_id = :'flow_id' and a.new_version is not null) v) < 5,
          true, 'no version is five or more change records away from a snapshot');
-- Checkpoints are listed by when they were taken, and in this one test transaction every
-- version was "saved" at the same now(); compare the documents without that list.
select is_empty(format($$ select version from saved
                           where flowstate.flow_state_at(%L, version, flowstate_tests.ctx()) - 'checkpoints'
                                 is distinct from document - 'checkpoints' $$, :'flow_id'),
                'every version rebuilds exactly as it was stored');
select is(flowstate.flow_state_at(:'flow_id', 71, flowstate_tests.ctx()) - 'checkpoints',
          flowstate.flow_load_state(:'flow_id', flowstate_tests.ctx()) - 'checkpoints',
          'the current version rebuilds to the loaded document');

select * from finish();
rollback;
