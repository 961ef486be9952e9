-- Random batches over a few flows (saves with right and wrong versions, puts, phase moves,
-- creations, request ids used again, a flow many times in one batch) end exactly as the same
-- calls made one by one in order: results, documents, audit rows, request ids and counts.
-- Tenant 3 sends the batches; tenant 4 makes the calls one by one.
begin;
\ir ../_helpers.sql
\ir _twins.sql
select plan(9);

select setseed(0.17);
insert into flowstate_tests.named
select t, 'f' || n, case when n <= 8 then flowstate_tests.make_flow(p_tenant => t) else gen_random_uuid() end
  from generate_series(3, 4) t, generate_series(1, 10) n;

-- Four batches of 40 random items, the same for both tenants but for the flow ids; a save
-- expects the flow's version when its batch is made, or one off (wrong either way).
create table flowstate_tests.random_items as
select b, n, 'f' || (1 + floor(random() * 10))::int as name, floor(random() * 6)::int as kind,
       (array[0, 0, 0, -1, 1])[1 + floor(random() * 5)::int] as version_off, floor(random() * 1000)::int as step,
       case when random() < 0.3 then format('5d6f3c5e-0000-4000-8000-%s', lpad((floor(random() * 4))::int::text, 12, '0')) end as request_id
  from generate_series(1, 4) b, generate_series(1, 40) n;
grant select on flowstate_tests.random_items to public;
-- (security definer: it reads the versions from flowstate.flows, which the app role cannot)
create function flowstate_tests.random_batch(p_tenant int, p_batch int) returns jsonb language sql volatile security definer as $$
  select jsonb_agg(jsonb_strip_nulls(jsonb_build_object(
           'flow_id', flowstate_tests.id(p_tenant, i.name),
           -- kinds: 0-2 a save of the same phase, 3 a put, 4 a move to field_mapping, 5 a creation
           'state', flowstate_tests.doc(flowstate_tests.id(p_tenant, i.name),
                                        case when i.kind = 4 then 'field_mapping' else 'data_import' end,
                                        case when i.kind = 4 then '{data_import}'::text[] else '{}' end,
                                        jsonb_build_object('step', i.step)),
           'expected_version', case when i.kind < 3 or i.kind = 4
                                    then nullif((select f.flow_version from flowstate.flows f
                                                  where f.flow_id = flowstate_tests.id(p_tenant, i.name)) + i.version_off, 0) end,
           'put', case when i.kind = 3 then true end,
           'label', case when i.kind = 3 then 'step ' || i.step end,
           'request_id', i.request_id)) order by i.n)
    from flowstate_tests.random_items i where i.b = p_batch
$$;

set local role flowstate_app;
create temp table results (tenant int, b int, n bigint, result jsonb);
-- Each batch made once the one before has run (a statement each, each seeing the one before);
-- tenant 4 one call per statement.
do $$
declare
  v_item record;
begin
  for v_batch in 1 .. 4 loop
    insert into results
    select 3, v_batch, r.n, r.result
      from jsonb_array_elements(flowstate.flow_save_states(flowstate_tests.random_batch(3, v_batch), flowstate_tests.ctx(3)))
             with ordinality as r(result, n);
  end loop;
  for v_batch in 1 .. 4 loop
    for v_item in select n, i from jsonb_array_elements(flowstate_tests.random_batch(4, v_batch)) with ordinality as e(i, n) order by n loop
      insert into results values (4, v_batch, v_item.n, flowstate_tests.one_call(v_item.i, flowstate_tests.ctx(4)));
    end loop;
  end loop;
end;
$$;
reset role;

select is(array(select pg_temp.outcome(result) from results where tenant = 3 order by b, n),
          array(select pg_temp.outcome(result) from results where tenant = 4 order by b, n),
          'each item''s result is what its own call returns');
select results_eq('select * from pg_temp.flows_of(3) order by 1', 'select * from pg_temp.flows_of(4) order by 1',
                  'the flows are stored as one call each stores them');
select results_eq('select * from pg_temp.audit_of(3) order by 1, 2', 'select * from pg_temp.audit_of(4) order by 1, 2',
                  'with the same audit rows');
select results_eq('select * from pg_temp.requests_of(3) order by 1, 2', 'select * from pg_temp.requests_of(4) order by 1, 2',
                  'and the same results remembered under the request ids');
select is(pg_temp.tallies_of(3), pg_temp.tallies_of(4), 'the flows are counted by phase and status alike');
select is(pg_temp.writes_of(3), pg_temp.writes_of(4), 'and every write is counted once');
-- The batches took both paths, and refused and replayed items too: the comparison means something.
select cmp_ok((select count(*) from (select a.cmin from flowstate_tests.named n join flowstate.audit_log a using (flow_id)
                                      where n.tenant = 3 and a.operation in ('save', 'put')
                                      group by a.cmin having count(*) > 1) s), '>=', 4::bigint,
              'each batch wrote several items in one statement');
select cmp_ok((select count(*) from results where tenant = 3 and not (result ->> 'ok')::boolean), '>=', 20::bigint,
              'many items were refused');
select cmp_ok((select count(distinct result ->> 'sqlstate') from results where tenant = 3 and not (result ->> 'ok')::boolean),
              '>=', 2::bigint, 'for more than one reason');

select * from finish();
rollback;
