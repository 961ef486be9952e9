-- Any past version of a flow rebuilds exactly from its audit trail (newest snapshot at or
-- before it plus the change records after it), through saves, puts, transitions, failing
-- and a DBA's direct edits; rebuilding never applies more than audit_snapshot_every records.
begin;
\ir ../_helpers.sql
select plan(5);

update flowstate.settings set value = 4 where name = 'audit_snapshot_every';
do $$ begin perform setseed(0.1234); end $$;
create temporary table seen (version bigint, content jsonb) on commit drop;
-- A state above audit_diff_min_bytes, so the trail stores change records, not copies.
create temporary table subject on commit drop as
  select gen_random_uuid() as flow_id,
         jsonb_build_object('bulk', (select jsonb_object_agg('k' || i, md5(i::text)) from generate_series(1, 200) i),
                            'work', flowstate_tests.random_object(3)) as state;
select flow_id from subject \gset

do $test$
declare
  v_id uuid := (select flow_id from subject);
  v_state jsonb := (select state from subject);
  v_phases text[] := array['data_import', 'field_mapping', 'data_cleansing', 'asset_inventory', 'dependency_analysis'];
  v_version bigint;
  v_doc jsonb;
begin
  perform flowstate.flow_save_state(v_id, flowstate_tests.doc(v_id, p_state_data => v_state), null, flowstate_tests.ctx());
  insert into seen select 1, flowstate.flow_load_state(v_id, null) - '{flow_version,updated_at,checkpoints}'::text[];
  for i in 1 .. 24 loop
    v_doc := flowstate.flow_load_state(v_id, null);
    v_version := (v_doc ->> 'flow_version')::bigint;
    v_state := jsonb_set(v_doc -> 'state_data', '{work}', flowstate_tests.random_edit(v_doc -> 'state_data' -> 'work', 3));
    case i % 6
      when 0 then perform flowstate.flow_save_state(v_id, v_doc || jsonb_build_object('state_data', v_state), v_version, flowstate_tests.ctx());
      when 1 then perform flowstate.flow_put_state(v_id, v_doc - 'flow_version' || jsonb_build_object('state_data', v_state),
                                                   'step_' || i, flowstate_tests.ctx());
      when 2 then perform flowstate.flow_transition_phase(v_id, v_phases[2 + i / 6], v_version, flowstate_tests.ctx());
      when 3 then update flowstate.flows set state_data = v_state, metadata = jsonb_build_object('edit', i) where flow_id = v_id;
      when 4 then perform flowstate.flow_save_state(v_id, v_doc || jsonb_build_object('state_data', v_state, 'status', 'paused'),
                                                    v_version, flowstate_tests.ctx());
      else perform flowstate.flow_save_state(v_id, v_doc || jsonb_build_object('state_data', v_state - 'bulk'), v_version,
                                             flowstate_tests.ctx());
           insert into seen select (d ->> 'flow_version')::bigint, d - '{flow_version,updated_at,checkpoints}'::text[]
             from flowstate.flow_load_state(v_id, null) d;
           perform flowstate.flow_put_state(v_id, v_doc - 'flow_version' || jsonb_build_object('state_data', v_doc -> 'state_data'),
                                            'restore', flowstate_tests.ctx());
    end case;
    insert into seen select (d ->> 'flow_version')::bigint, d - '{flow_version,updated_at,checkpoints}'::text[]
        from flowstate.flow_load_state(v_id, null) d;
  end loop;
  perform flowstate.flow_transition_phase(v_id, 'failed', null, flowstate_tests.ctx());
  insert into seen select (d ->> 'flow_version')::bigint, d - '{flow_version,updated_at,checkpoints}'::text[]
    from flowstate.flow_load_state(v_id, null) d;
end;
$test$;

select is(array(select version from seen order by version), array(select generate_series(1, max(version)) from seen),
          'each change made exactly one new version, 1 to the last');
select ok((select count(*) from flowstate.audit_log where flow_id = :'flow_id' and changes is not null) >= 10,
          'the trail holds change records, not only snapshots');
select ok((select count(*) from flowstate.audit_log where flow_id = :'flow_id' and snapshot is not null and new_version > 1) >= 3,
          'and periodic snapshots');
select is_empty(format($$ select s.version, s.content, r.content from seen s, flowstate_tests.rebuilt(%L, s.version) r
                           where r.content is distinct from s.content $$, :'flow_id'),
                'every version rebuilds exactly');
select cmp_ok((select max(r.changes_applied) from seen s, flowstate_tests.rebuilt(:'flow_id', s.version) r), '<', 4,
              'no rebuild applies audit_snapshot_every (4) change records or more');

select * from finish();
rollback;
