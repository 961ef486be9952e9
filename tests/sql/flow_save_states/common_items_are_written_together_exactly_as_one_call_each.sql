-- The items a lone call would save on its fast path (an existing flow, same phases, the
-- expected version) are written together, by one statement, and everything ends up exactly
-- as one call per item in the same order leaves it: results, documents, audit rows, request
-- ids and counts. The others (a creation, a stale version, a phase change, a flow's second
-- item, a retried request id) are saved alone, in order. Tenant 1 sends one batch; tenant 2
-- makes the same calls one by one.
begin;
\ir ../_helpers.sql
\ir _twins.sql
select plan(9);

-- The batch's items for tenant p_tenant.
create function flowstate_tests.items(p_tenant int) returns jsonb language sql stable as $$
  select jsonb_agg(jsonb_build_object('flow_id', flowstate_tests.id(p_tenant, i.name),
                                      'state', flowstate_tests.doc(flowstate_tests.id(p_tenant, i.name), i.phase, i.completed, i.data)
                                               || coalesce(i.extra, '{}'))
                   || i.item ORDER BY i.n)
    from (values
      (1, 'new', 'data_import', '{}'::text[], '{"step": 0}'::jsonb, null::jsonb, '{"expected_version": null}'::jsonb),
      (2, 'a', 'data_import', '{}', '{"step": 1}', null, '{"expected_version": 1}'),
      (3, 'b', 'data_import', '{}', '{"step": 1}', '{"status": "paused"}', '{"put": true, "label": "research", "request_id": "5d6f3c5e-0000-4000-8000-000000000001"}'),
      (4, 'stale', 'data_import', '{}', '{"step": 9}', null, '{"expected_version": 1}'),
      (5, 'big', 'data_import', '{}', jsonb_build_object('text', repeat('x', 6000), 'n', 1), null, '{"expected_version": 1}'),
      (6, 'moved', 'field_mapping', '{data_import}', '{"step": 1}', null, '{"expected_version": 1}'),
      (7, 'a', 'data_import', '{}', '{"step": 2}', null, '{"expected_version": 2}'),
      (8, 'retried', 'data_import', '{}', '{"step": 5}', null, '{"expected_version": 1, "request_id": "5d6f3c5e-0000-4000-8000-000000000002"}'),
      (9, 'c', 'data_import', '{}', '{"step": 1, "more": [1, 2]}', null, '{"expected_version": 1, "request_id": "5d6f3c5e-0000-4000-8000-000000000003"}')
    ) as i(n, name, phase, completed, data, extra, item)
$$;

insert into flowstate_tests.named
select t, n, case when n in ('new', 'big') then gen_random_uuid()
                  else flowstate_tests.make_flow(p_tenant => t) end
  from generate_series(1, 2) t, unnest('{new,a,b,stale,big,moved,retried,c}'::text[]) n;
-- A state big enough to be audited as a diff, a flow one version ahead of its item, and a save
-- already made under the retried item's request id.
select count(flowstate.flow_save_state(flowstate_tests.id(t, 'big'), flowstate_tests.doc(flowstate_tests.id(t, 'big'),
         p_state_data => jsonb_build_object('text', repeat('x', 6000), 'n', 0)), null, flowstate_tests.ctx(t)))
     + count(flowstate.flow_save_state(flowstate_tests.id(t, 'stale'), flowstate_tests.doc(flowstate_tests.id(t, 'stale')),
         1, flowstate_tests.ctx(t)))
     + count(flowstate.flow_save_state(flowstate_tests.id(t, 'retried'), flowstate_tests.doc(flowstate_tests.id(t, 'retried')),
         1, flowstate_tests.ctx(t), '5d6f3c5e-0000-4000-8000-000000000002'))
  from generate_series(1, 2) t;

set local role flowstate_app;
select flowstate.flow_save_states(flowstate_tests.items(1), flowstate_tests.ctx(1)) as batch \gset
select jsonb_agg(flowstate_tests.one_call(i, flowstate_tests.ctx(2)) order by n) as singles
  from jsonb_array_elements(flowstate_tests.items(2)) with ordinality as e(i, n) \gset
reset role;

select is(array(select coalesce(r -> 'document' ->> 'flow_version', r ->> 'sqlstate') from jsonb_array_elements(:'batch'::jsonb) r),
          array['1', '2', '2', 'FS002', '2', '2', '3', '2', '2'], 'the batch saved, refused and replayed what it should');
select is(array(select pg_temp.outcome(r) from jsonb_array_elements(:'batch'::jsonb) r),
          array(select pg_temp.outcome(r) from jsonb_array_elements(:'singles'::jsonb) r),
          'each item''s result is what its own call returns');
select results_eq('select * from pg_temp.flows_of(1) order by 1', 'select * from pg_temp.flows_of(2) order by 1',
                  'the flows are stored as one call each stores them');
select results_eq('select * from pg_temp.audit_of(1) order by 1, 2', 'select * from pg_temp.audit_of(2) order by 1, 2',
                  'with the same audit rows: operation, versions, phases, actor, label, change record or snapshot');
select results_eq('select * from pg_temp.requests_of(1) order by 1, 2', 'select * from pg_temp.requests_of(2) order by 1, 2',
                  'and the same results remembered under the request ids');
select is(pg_temp.tallies_of(1), pg_temp.tallies_of(2), 'the flows are counted by phase and status alike (the paused one moved)');
select is(pg_temp.writes_of(1), pg_temp.writes_of(2), 'and every write is counted once');
select is((select count(distinct a.cmin::text) from flowstate_tests.named n join flowstate.audit_log a using (flow_id)
            where n.tenant = 1 and n.name in ('a', 'b', 'big', 'c') and a.old_version = 1),
          1::bigint, 'the batch''s common items are written by one statement');
select is((select count(distinct a.cmin::text) from flowstate_tests.named n join flowstate.audit_log a using (flow_id)
            where n.tenant = 2 and n.name in ('a', 'b', 'big', 'c') and a.old_version = 1),
          4::bigint, '(one call each writes them one by one)');

select * from finish();
rollback;
