-- Rebuild cost is bounded: change records accumulate only until they add up to about the
-- state's size, then a full snapshot is written. Sixty one-key saves to a ~100 KB state stay
-- change records; saves that each rewrite a third of it bring a snapshot within a few
-- versions; every version rebuilds exactly either way.
begin;
\ir ../_helpers.sql
select plan(5);

create temporary table saved (version bigint primary key, document jsonb) on commit drop;
select set_config('test.flow_id', gen_random_uuid()::text, true) as flow_id \gset
do $test$
declare
  v_id uuid := current_setting('test.flow_id');
  v_state jsonb := flowstate_tests.large_state(30, 20);
  v_doc jsonb;
begin
  v_doc := flowstate.flow_save_state(v_id, flowstate_tests.doc(v_id, p_state_data => v_state), null, flowstate_tests.ctx());
  insert into saved values (1, v_doc || jsonb_build_object('state_data', v_state));
  for i in 1 .. 70 loop
    if i <= 60 then
      v_state := jsonb_set(v_state, '{config,limits,rows}', to_jsonb(i));
    else
      -- Rewrite every item of ten of the thirty sections.
      v_state := v_state || jsonb_build_object('sections', (
        select jsonb_object_agg(key, case when right(key, 1)::int % 3 = i % 3
                                          then jsonb_set(value, '{items}', (select jsonb_object_agg(k, jsonb_build_object('name', md5(k || i), 'v', i))
                                                                              from jsonb_object_keys(value -> 'items') k))
                                          else value end)
          from jsonb_each(v_state -> 'sections')));
    end if;
    v_doc := flowstate.flow_save_state(v_id, v_doc || jsonb_build_object('state_data', v_state), (v_doc ->> 'flow_version')::bigint,
                                       flowstate_tests.ctx());
    insert into saved values ((v_doc ->> 'flow_version')::bigint, v_doc || jsonb_build_object('state_data', v_state));
  end loop;
end;
$test$;

select is((select count(*) from flowstate.audit_log where flow_id = :'flow_id' and new_version between 2 and 61 and snapshot is null),
          60::bigint, 'sixty small changes are sixty change records');
select cmp_ok((select sum(pg_column_size(changes)) from flowstate.audit_log where flow_id = :'flow_id' and new_version between 2 and 61),
              '<', 10000::bigint, 'adding up to a few KB');
select cmp_ok((select count(*) from flowstate.audit_log where flow_id = :'flow_id' and new_version > 61 and snapshot is not null),
              '>=', 2::bigint, 'large rewrites bring full snapshots');
select is((select max(n) from (select count(*) as n from flowstate.audit_log a
                                where a.flow_id = :'flow_id' and a.new_version > 61 and a.snapshot is null
                                  and not exists (select from flowstate.audit_log s where s.flow_id = a.flow_id and s.snapshot is not null
                                                    and s.new_version > 61 and s.new_version < a.new_version)
                              ) c) <= 4, true, 'within a few versions of the first large rewrite');
select is_empty(format($$ select version from saved
                           where flowstate.flow_state_at(%L, version, flowstate_tests.ctx()) is distinct from document $$, :'flow_id'),
                'every version rebuilds exactly');

select * from finish();
rollback;
