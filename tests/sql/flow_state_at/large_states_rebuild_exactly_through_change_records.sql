-- A ~100 KB state changed a few keys at a time is audited as change records (changes set,
-- snapshot NULL) after its first version. flow_state_at still returns, at every version,
-- exactly what was stored: through nested edits, deleted and added keys, objects replaced by
-- scalars and arrays (and back), JSON nulls, awkward key names, transitions between the
-- saves and a DBA's direct UPDATE of the state and metadata.
begin;
\ir ../_helpers.sql
select plan(8);

create temporary table saved (version bigint primary key, document jsonb) on commit drop;
select set_config('test.flow_id', gen_random_uuid()::text, true) as flow_id \gset

do $test$
declare
  v_id uuid := current_setting('test.flow_id');
  v_ctx jsonb := flowstate_tests.ctx();
  v_phases text[] := array['field_mapping', 'data_cleansing', 'asset_inventory', 'dependency_analysis', 'tech_debt_analysis'];
  v_state jsonb := flowstate_tests.large_state(20, 30);
  v_doc jsonb;
  v_section text;
  v_item text;
begin
  v_doc := flowstate.flow_save_state(v_id, flowstate_tests.doc(v_id, p_state_data => v_state), null, v_ctx);
  insert into saved values (1, v_doc || jsonb_build_object('state_data', v_state));
  for i in 1 .. 60 loop
    v_section := format('s%s', lpad(((i * 7) % 20 + 1)::text, 3, '0'));
    v_item := format('i%s', lpad(((i * 13) % 30 + 1)::text, 4, '0'));
    if i % 12 = 0 then
      v_doc := flowstate.flow_transition_phase(v_id, v_phases[i / 12], (v_doc ->> 'flow_version')::bigint, v_ctx);
    elsif i = 25 then
      update flowstate.flows
         set state_data = jsonb_set(state_data, '{config,mode}', '"dba"') #- array['sections', v_section, 'title'],
             metadata = '{"ticket": "OPS-2"}'
       where flow_id = v_id;
      v_doc := flowstate.flow_load_state(v_id, v_ctx);
      v_state := v_doc -> 'state_data';
      v_doc := v_doc - 'state_data';
    else
      case i % 8
        when 0 then  -- a nested value changes
          v_state := jsonb_set(v_state, array['sections', v_section, 'items', v_item, 'score'], to_jsonb(i));
        when 1 then  -- a key is deleted
          v_state := v_state #- array['sections', v_section, 'items', v_item];
        when 2 then  -- a key is added
          v_state := jsonb_set(v_state, array['sections', v_section, 'items', 'new_' || i],
                               jsonb_build_object('name', 'added', 'step', i, 'tags', '[]'::jsonb));
        when 3 then  -- an object becomes a scalar
          v_state := jsonb_set(v_state, array['sections', v_section, 'summary'], to_jsonb('collapsed at ' || i));
        when 4 then  -- an object (or scalar) becomes an array
          v_state := jsonb_set(v_state, array['sections', v_section, 'summary'], jsonb_build_array(i, 'x', jsonb_build_object('deep', i)));
        when 5 then  -- whatever it was becomes an object again
          v_state := jsonb_set(v_state, array['sections', v_section, 'summary'], jsonb_build_object('restored', i, 'notes', '[]'::jsonb));
        when 6 then  -- an awkward key goes, a top-level key with awkward keys arrives
          v_state := (v_state #- array['odd keys', '{x,y}'])
                     || jsonb_build_object('top_' || i, jsonb_build_object('k"q', i, 'nested', jsonb_build_object('', null)));
        else         -- two changes in one save, one of them to JSON null
          v_state := jsonb_set(jsonb_set(v_state, '{config,limits,rows}', to_jsonb(i * 10)), array['odd keys', '🚀'], 'null');
      end case;
      if i % 5 = 0 then
        v_doc := flowstate.flow_put_state(v_id, v_doc - 'flow_version' || jsonb_build_object('state_data', v_state),
                                          'step_' || i, v_ctx);
      else
        v_doc := flowstate.flow_save_state(v_id, v_doc || jsonb_build_object('state_data', v_state),
                                           (v_doc ->> 'flow_version')::bigint, v_ctx);
      end if;
    end if;
    insert into saved values ((v_doc ->> 'flow_version')::bigint, v_doc || jsonb_build_object('state_data', v_state));
  end loop;
end;
$test$;

select cmp_ok(pg_column_size(flowstate_tests.large_state(20, 30)), '>', 80000, 'the state is about 100 KB');
select is(array(select version from saved order by version), array(select generate_series(1::bigint, 61)),
          'every write made one new version, 1 to 61');
select is((select count(*) from flowstate.audit_log where flow_id = :'flow_id' and new_version > 1
              and changes is not null and snapshot is null),
          60::bigint, 'every version after the first is a change record without a snapshot');
select ok(exists (select from flowstate.audit_log a, jsonb_array_elements(a.changes) c
                   where a.flow_id = :'flow_id' and jsonb_array_length(c) = 1),
          'the change records include deletions');
select ok(exists (select from flowstate.audit_log a, jsonb_array_elements(a.changes) c
                   where a.flow_id = :'flow_id' and jsonb_typeof(c -> 1) = 'array'
                     and c -> 0 ->> -1 = 'summary'),
          'and an object replaced by an array');
select is_empty(format($$ select version from saved
                           where flowstate.flow_state_at(%L, version, flowstate_tests.ctx()) is distinct from document $$,
                       :'flow_id'),
                'every version rebuilds exactly as it was stored');
select is(flowstate.flow_state_at(:'flow_id', 61, flowstate_tests.ctx()), flowstate.flow_load_state(:'flow_id', flowstate_tests.ctx()),
          'the current version rebuilds to the loaded document');
select is(flowstate.flow_state_at(:'flow_id', 26, flowstate_tests.ctx()) -> 'state_data' -> 'config' ->> 'mode', 'dba',
          'the DBA''s version carries the DBA''s edit');

select * from finish();
rollback;
