-- Below audit_diff_min_bytes every version is audited as a full snapshot. flow_state_at
-- returns, at every version, exactly what that version's write stored (equal as jsonb): the
-- document the save returned plus the state_data it sent, through saves, puts, transitions,
-- a paused status, a DBA's direct UPDATE and a move to failed.
begin;
\ir ../_helpers.sql
select plan(6);

create temporary table saved (version bigint primary key, document jsonb) on commit drop;
select set_config('test.flow_id', gen_random_uuid()::text, true) as flow_id \gset

do $test$
declare
  v_id uuid := current_setting('test.flow_id');
  v_ctx jsonb := flowstate_tests.ctx(1, 3);
  v_phases text[] := array['field_mapping', 'data_cleansing', 'asset_inventory'];
  v_state jsonb := '{"rows": 0}';
  v_doc jsonb;
begin
  v_doc := flowstate.flow_save_state(v_id, flowstate_tests.doc(v_id, p_state_data => v_state), null, v_ctx);
  insert into saved values (1, v_doc || jsonb_build_object('state_data', v_state));
  for i in 1 .. 30 loop
    if i % 10 = 0 then
      -- A transition: the phases change, state_data stays.
      v_doc := flowstate.flow_transition_phase(v_id, v_phases[i / 10], (v_doc ->> 'flow_version')::bigint, v_ctx);
    elsif i = 15 then
      -- A DBA's direct edit of the state and the metadata.
      v_state := jsonb_build_object('rows', -1, 'fixed_by', 'dba');
      update flowstate.flows set state_data = v_state, metadata = '{"ticket": "OPS-1"}' where flow_id = v_id;
      v_doc := flowstate.flow_load_state(v_id, v_ctx) - 'state_data';
    elsif i % 3 = 0 then
      v_state := v_state || jsonb_build_object('put_' || i, jsonb_build_object('n', i, 'list', jsonb_build_array(i, 'x', null)));
      v_doc := flowstate.flow_put_state(v_id, v_doc - 'flow_version' || jsonb_build_object('state_data', v_state),
                                        'method_' || i, v_ctx);
    elsif i = 7 then
      v_state := v_state - 'rows';
      v_doc := flowstate.flow_save_state(v_id, v_doc || jsonb_build_object('state_data', v_state, 'status', 'paused'),
                                         (v_doc ->> 'flow_version')::bigint, v_ctx);
    else
      v_state := jsonb_build_object('rows', i * 100, 'batch', jsonb_build_object('n', i, 'ok', i % 7 <> 0))
                 || (v_state - '{rows,batch}'::text[]);
      v_doc := flowstate.flow_save_state(v_id, v_doc || jsonb_build_object('state_data', v_state),
                                         (v_doc ->> 'flow_version')::bigint, v_ctx);
    end if;
    insert into saved values ((v_doc ->> 'flow_version')::bigint, v_doc || jsonb_build_object('state_data', v_state));
  end loop;
  v_doc := flowstate.flow_transition_phase(v_id, 'failed', null, v_ctx);
  insert into saved values ((v_doc ->> 'flow_version')::bigint, v_doc || jsonb_build_object('state_data', v_state));
end;
$test$;

select is(array(select version from saved order by version), array(select generate_series(1::bigint, 32)),
          'every write made one new version, 1 to 32');
select is((select count(*) from flowstate.audit_log where flow_id = :'flow_id' and (snapshot is null or changes is not null)),
          0::bigint, 'small states are audited as full snapshots only');
select is_empty(format($$ select version from saved
                           where flowstate.flow_state_at(%L, version, flowstate_tests.ctx()) is distinct from document $$,
                       :'flow_id'),
                'every version rebuilds exactly as it was stored');
select is(flowstate.flow_state_at(:'flow_id', 32, flowstate_tests.ctx()), flowstate.flow_load_state(:'flow_id', flowstate_tests.ctx()),
          'the current version rebuilds to the loaded document');
select is(flowstate.flow_state_at(:'flow_id', 16, flowstate_tests.ctx()) -> 'metadata' ->> 'ticket', 'OPS-1',
          'the DBA''s version carries the DBA''s metadata');
select is(array(select flowstate.flow_state_at(:'flow_id', v, flowstate_tests.ctx()) ->> 'current_phase'
                  from unnest(array[10, 11, 21, 31, 32]) v),
          array['data_import', 'field_mapping', 'data_cleansing', 'asset_inventory', 'failed'],
          'each version has the phase it had');

select * from finish();
rollback;
