-- A flow with 150 versions of a ~200 KB state (one or two keys changed per save, default
-- settings): the trail is change records with a periodic full snapshot (at most
-- audit_snapshot_every records apart), and a random sample of versions (seeded), the first
-- and the last included, rebuilds exactly as stored.
begin;
\ir ../_helpers.sql
select plan(5);

select setseed(0.57);
create temporary table saved (version bigint primary key, document jsonb) on commit drop;
select set_config('test.flow_id', gen_random_uuid()::text, true) as flow_id \gset

do $test$
declare
  v_id uuid := current_setting('test.flow_id');
  v_ctx jsonb := flowstate_tests.ctx();
  v_state jsonb := flowstate_tests.large_state(40, 30);
  v_doc jsonb;
  v_section text;
begin
  v_doc := flowstate.flow_save_state(v_id, flowstate_tests.doc(v_id, p_state_data => v_state), null, v_ctx);
  insert into saved values (1, v_doc || jsonb_build_object('state_data', v_state));
  for i in 1 .. 149 loop
    v_section := format('s%s', lpad((1 + floor(random() * 40))::int::text, 3, '0'));
    v_state := jsonb_set(v_state, array['sections', v_section, 'summary'],
                         case when random() < 0.5 then jsonb_build_object('step', i, 'value', flowstate_tests.random_value(2))
                              else flowstate_tests.random_value(2) end);
    if i % 4 = 0 then
      v_state := v_state #- array['sections', v_section, 'items', format('i%s', lpad((1 + i % 30)::text, 4, '0'))];
    end if;
    v_doc := flowstate.flow_save_state(v_id, v_doc || jsonb_build_object('state_data', v_state),
                                       (v_doc ->> 'flow_version')::bigint, v_ctx);
    insert into saved values ((v_doc ->> 'flow_version')::bigint, v_doc || jsonb_build_object('state_data', v_state));
  end loop;
end;
$test$;

create temporary table sample on commit drop as
  select version from saved where version in (1, 150) or random() < 0.2;

select cmp_ok(pg_column_size(flowstate_tests.large_state(40, 30)), '>', 180000, 'the state is about 200 KB');
select is((select count(*) from saved), 150::bigint, '150 versions');
select cmp_ok((select count(*) from flowstate.audit_log where flow_id = :'flow_id' and snapshot is not null and new_version > 1),
              '>=', 1::bigint, 'a periodic snapshot was written');
select cmp_ok((select count(*) from sample), '>=', 20::bigint, 'a sample of at least 20 versions is checked');
select is_empty(format($$ select s.version from sample s join saved using (version)
                           where flowstate.flow_state_at(%L, s.version, flowstate_tests.ctx()) is distinct from saved.document $$,
                       :'flow_id'),
                'every sampled version rebuilds exactly as it was stored');

select * from finish();
rollback;
