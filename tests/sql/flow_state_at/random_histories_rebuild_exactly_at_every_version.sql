-- Random histories (seeded) of a mapping state where each save changes other keys: sets,
-- deletes, type changes object <-> scalar, arrays, nested deletes, a subtree replaced after
-- its children changed. With audit_snapshot_every lowered to 7 and audit_diff_min_bytes to 1,
-- snapshots fall at many points; flow_state_at rebuilds every version of every flow exactly
-- as it was saved, whatever the number of distinct keys changed since the snapshot.
begin;
\ir ../_helpers.sql
select plan(4);

update flowstate.settings set value = 7 where name = 'audit_snapshot_every';
update flowstate.settings set value = 1 where name = 'audit_diff_min_bytes';
select setseed(0.913);
create temporary table saved (flow_id uuid, version bigint, document jsonb, primary key (flow_id, version)) on commit drop;

do $test$
declare
  v_ctx jsonb := flowstate_tests.ctx();
  v_id uuid;
  v_state jsonb;
  v_doc jsonb;
  v_key text;
begin
  for f in 1 .. 4 loop
    v_id := gen_random_uuid();
    v_state := jsonb_build_object('records', (select jsonb_object_agg(format('r%s', i), flowstate_tests.random_object(2))
                                                from generate_series(1, 30) i));
    v_doc := flowstate.flow_save_state(v_id, flowstate_tests.doc(v_id, p_state_data => v_state), null, v_ctx);
    insert into saved values (v_id, 1, v_doc || jsonb_build_object('state_data', v_state));
    for i in 1 .. 40 loop
      v_key := format('r%s', 1 + floor(random() * 32)::int);  -- r31, r32: keys added later
      v_state := case floor(random() * 6)::int
        when 0 then v_state #- array['records', v_key]                                              -- a key deleted
        when 1 then jsonb_set(v_state, array['records', v_key], flowstate_tests.random_value(0))     -- object -> scalar
        when 2 then jsonb_set(v_state, array['records', v_key], jsonb_build_array(i, jsonb_build_object('n', i)))  -- array
        when 3 then jsonb_set(v_state, array['records', v_key],
                              flowstate_tests.random_edit(coalesce(v_state #> array['records', v_key], '{}'), 2))  -- nested edits
        when 4 then v_state #- array['records', v_key, coalesce((select k from jsonb_object_keys(
                                       case when jsonb_typeof(v_state #> array['records', v_key]) = 'object'
                                            then v_state #> array['records', v_key] else '{}' end) k limit 1), '0')]  -- a nested delete
        else jsonb_set(v_state, '{records}', flowstate_tests.random_edit(v_state -> 'records', 3)) end;  -- many keys at once
      v_doc := flowstate.flow_save_state(v_id, v_doc || jsonb_build_object('state_data', v_state),
                                         (v_doc ->> 'flow_version')::bigint, v_ctx);
      insert into saved values (v_id, (v_doc ->> 'flow_version')::bigint, v_doc || jsonb_build_object('state_data', v_state));
    end loop;
  end loop;
end;
$test$;

select is((select count(*) from saved), 164::bigint, '4 flows of 41 versions each');
select cmp_ok((select count(*) from flowstate.audit_log a join (select distinct flow_id from saved) s using (flow_id)
                where a.changes is not null),
              '>=', 100::bigint, 'most versions are change records');
select cmp_ok((select count(*) from flowstate.audit_log a join (select distinct flow_id from saved) s using (flow_id)
                where a.snapshot is not null and a.new_version > 1),
              '>=', 12::bigint, 'with snapshots between them');
-- Checkpoints are listed by when they were taken; the flows have none.
select is_empty($$ select flow_id, version from saved
                    where flowstate.flow_state_at(flow_id, version, flowstate_tests.ctx()) is distinct from document $$,
                'every version of every flow rebuilds exactly as it was saved');

select * from finish();
rollback;
