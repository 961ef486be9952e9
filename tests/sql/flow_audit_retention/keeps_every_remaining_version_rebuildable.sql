-- Retention drops the monthly partitions that end on or before p_before. A flow whose
-- history starts in a dropped partition (its snapshot there, change records after it in a
-- kept one) first gets its oldest kept change record rewritten as a full snapshot, so every
-- version that remains still rebuilds exactly; the versions dropped are gone (NULL). Flows
-- whose kept history already starts with a snapshot, or that have nothing old, are left as
-- they were. The run is recorded in flowstate.retention_log.
begin;
\ir ../_helpers.sql
select plan(12);

-- An old month, partitioned as flow_audit_partitions would have done it.
create table flowstate.audit_log_y2020m01 partition of flowstate.audit_log for values from ('2020-01-01') to ('2020-02-01');
alter table flowstate.audit_log_y2020m01 owner to flowstate_owner;

create temporary table saved (flow text, version bigint, document jsonb, primary key (flow, version)) on commit drop;
select gen_random_uuid() as rebased_id, gen_random_uuid() as snapshot_id, gen_random_uuid() as recent_id \gset
select set_config('test.ids', jsonb_build_object('rebased', :'rebased_id', 'snapshot', :'snapshot_id', 'recent', :'recent_id')::text, true) as ids \gset
do $test$
declare
  v_ids jsonb := current_setting('test.ids')::jsonb;
  v_name text;
  v_id uuid;
  v_state jsonb;
  v_doc jsonb;
begin
  for v_name in select jsonb_object_keys(v_ids) loop
    v_id := (v_ids ->> v_name)::uuid;
    v_state := flowstate_tests.large_state(5, 20);
    v_doc := flowstate.flow_save_state(v_id, flowstate_tests.doc(v_id, p_state_data => v_state), null, flowstate_tests.ctx());
    insert into saved values (v_name, 1, v_doc || jsonb_build_object('state_data', v_state));
    for i in 2 .. 6 loop
      if i = 4 then
        v_doc := flowstate.flow_transition_phase(v_id, 'field_mapping', (v_doc ->> 'flow_version')::bigint, flowstate_tests.ctx());
      else
        v_state := jsonb_set(v_state, '{config,limits,rows}', to_jsonb(i));
        if v_name = 'snapshot' and i = 3 then
          v_state := v_state - 'sections';  -- below audit_diff_min_bytes: full snapshots from version 3 on
        end if;
        v_doc := flowstate.flow_save_state(v_id, v_doc || jsonb_build_object('state_data', v_state),
                                           (v_doc ->> 'flow_version')::bigint, flowstate_tests.ctx());
      end if;
      insert into saved values (v_name, (v_doc ->> 'flow_version')::bigint, v_doc || jsonb_build_object('state_data', v_state));
    end loop;
  end loop;
end;
$test$;
-- Versions 1 to 3 of two flows are old: logged in January 2020.
select flowstate_tests.backdate_audit(:'rebased_id', 3, '2020-01-15') as moved_a,
       flowstate_tests.backdate_audit(:'snapshot_id', 3, '2020-01-15') as moved_b \gset
select md5(string_agg(a::text, ',' order by audit_id)) as recent_trail from flowstate.audit_log a where flow_id = :'recent_id' \gset

select is((select count(*) from flowstate.audit_log_y2020m01), 6::bigint, 'six rows sit in the January 2020 partition');
select is((select changes is not null from flowstate.audit_log where flow_id = :'rebased_id' and new_version = 4 and operation = 'transition'),
          true, 'the first kept row of one flow is a change record');

select lives_ok($$ select flowstate.flow_audit_retention('2020-02-01') $$, 'retention runs');
select is((select count(*) from pg_class where relname = 'audit_log_y2020m01' and relnamespace = 'flowstate'::regnamespace),
          0::bigint, 'the old partition is dropped');
select is((select jsonb_build_object('ran_by', ran_by, 'before', before, 'partitions_dropped', partitions_dropped, 'flows_rebased', flows_rebased)
             from flowstate.retention_log order by ran_at desc limit 1),
          jsonb_build_object('ran_by', session_user, 'before', '2020-02-01'::timestamptz, 'partitions_dropped', array['audit_log_y2020m01'],
                             'flows_rebased', 1),
          'the run is in retention_log: by whom, the cutoff, the partition dropped, one flow rebased');
select is((select snapshot is not null and changes is null from flowstate.audit_log where flow_id = :'rebased_id' and new_version = 4 and operation = 'transition'),
          true, 'that flow''s oldest kept record is now a full snapshot');
select is_empty(format($$ select flow, version from saved
                           where version > 3 and flowstate.flow_state_at((%L::jsonb ->> flow)::uuid, version, flowstate_tests.ctx())
                                                 is distinct from document $$, :'ids'),
                'every version that remains rebuilds exactly');
select is(flowstate.flow_state_at(:'rebased_id', 3, flowstate_tests.ctx()), null, 'a dropped version is gone');
select is(flowstate.flow_state_at(:'rebased_id', 6, flowstate_tests.ctx()), flowstate.flow_load_state(:'rebased_id', flowstate_tests.ctx()),
          'the current version rebuilds to the loaded document');
select is((select md5(string_agg(a::text, ',' order by audit_id)) from flowstate.audit_log a where flow_id = :'recent_id'), :'recent_trail',
          'a flow with no old history is untouched');
select is(flowstate.flow_audit_retention('2020-02-01'), '{"partitions_dropped": [], "flows_rebased": 0}'::jsonb,
          'a second run finds nothing to drop');
select is(array(select new_version from flowstate.flow_history(:'rebased_id', flowstate_tests.ctx())), array[4, 5, 6]::bigint[],
          'the history of the rebased flow now starts at version 4');

select * from finish();
rollback;
