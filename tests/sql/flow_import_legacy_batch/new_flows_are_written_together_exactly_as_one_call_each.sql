-- The new, plain flows of a batch (the common case of a migration) are written together, by one
-- statement, and end up exactly as flow_import_legacy imports each alone: the same document,
-- rows, ledger entry, audit row (operation import, labelled with the last method) and counts.
-- Tenant 1 imports them in one batch; tenant 2 imports the same flows one call each.
begin;
\ir ../_helpers.sql
select plan(7);

create temp table legacy (external_id text, ids bigint[], methods text[], timestamps text[], states text[]);
insert into legacy values
  ('run-a', '{1,4}', '{start,research}', '{t1,t4}', array['{"n": 1}', '{"n": 4, "notes": ["x", {"y": null}]}']),
  ('run-b', '{2,5,6,9}', '{start,start,draft,failed}', '{t2,t5,t6,t9}',
   array['{"n": 2}', '{"n": 5}', '{"n": 6}', '{"n": 9, "error": "boom", "é": "ü"}']),
  ('run-c', '{3}', '{start}', '{t3}', array['{}']);
grant select on legacy to flowstate_app;

set local role flowstate_app;
select flowstate.flow_import_legacy_batch(
  array(select external_id from legacy order by external_id),
  array(select cardinality(ids) from legacy order by external_id),
  array(select i from legacy, unnest(ids) i order by external_id, i),
  array(select m from legacy, unnest(methods) with ordinality u(m, n) order by external_id, n),
  array(select t from legacy, unnest(timestamps) with ordinality u(t, n) order by external_id, n),
  array(select s from legacy, unnest(states) with ordinality u(s, n) order by external_id, n),
  array[null, null, null]::jsonb[], '{"fingerprint": "f", "path": "/data/flow_states.db"}', flowstate_tests.ctx(1)) as batch \gset
select array_agg(flowstate.flow_import_legacy(external_id, ids, methods, timestamps, states,
                                              '{"fingerprint": "f", "path": "/data/flow_states.db"}', flowstate_tests.ctx(2))
                 order by external_id) as singles from legacy \gset
reset role;

-- What a flow of tenant p_tenant looks like, without what names the tenant or the moment.
create function pg_temp.imported(p_tenant int) returns table (external_id text, document jsonb, rows text[], ledger text, audit text)
language sql as $$
  select f.external_id,
         flowstate._document(f, true) - '{flow_id,created_at,updated_at}'::text[]
           #- '{metadata,client_account_id}' #- '{metadata,engagement_id}' #- '{metadata,user_id}',
         array(select r.legacy_id || ' ' || r.method_name || ' ' || r.legacy_timestamp || ' ' || r.state_text || ' ' || r.state_sha256
                 from flowstate.legacy_rows r where r.flow_id = f.flow_id order by r.legacy_id),
         (select row(l.external_id, l.source_fingerprint, l.source, l.row_count, l.last_legacy_id, l.content_hash,
                     l.has_pending, l.flow_version, l.mapped)::text from flowstate.migration_ledger l where l.flow_id = f.flow_id),
         (select string_agg(a.operation || ' ' || a.new_version || ' ' || a.label || ' '
                            || (a.snapshot - '{flow_id,created_at,metadata}'::text[])::text, '; ')
            from flowstate.audit_log a where a.flow_id = f.flow_id)
    from flowstate.flows f
   where f.client_account_id = (flowstate_tests.ctx(p_tenant) ->> 'client_account_id')::uuid
$$;

select is(array(select e ->> 'status' from jsonb_array_elements(:'batch'::jsonb) e), array['migrated', 'migrated', 'migrated'],
          'every flow of the batch is migrated');
select is(array(select (e - 'flow_id')::text from jsonb_array_elements(:'batch'::jsonb) e),
          array(select (s - 'flow_id')::text from unnest(:'singles'::jsonb[]) s),
          'each result is what the call for that flow alone returns');
select is((select count(distinct cmin::text) from flowstate.flows where client_account_id = (flowstate_tests.ctx(1) ->> 'client_account_id')::uuid),
          1::bigint, 'the batch''s flows are written by one statement');
select is((select count(distinct cmin::text) from flowstate.flows where client_account_id = (flowstate_tests.ctx(2) ->> 'client_account_id')::uuid),
          3::bigint, '(one call each writes them one by one)');
select results_eq('select * from pg_temp.imported(1) order by 1', 'select * from pg_temp.imported(2) order by 1',
                  'documents, rows, ledger entries and audit rows are those of one call each');
select is((select string_agg(a.label, ',' order by a.label) from flowstate.audit_log a
             join flowstate.flows f using (flow_id) where f.client_account_id = (flowstate_tests.ctx(1) ->> 'client_account_id')::uuid),
          'failed,research,start', 'each audit row is labelled with its flow''s last method');
select is((select array_agg(row(t.flow_type, t.current_phase, t.status, t.flows)::text order by t.current_phase)
             from (select flow_type, current_phase, status, sum(flows) as flows from flowstate.flow_tallies
                    where client_account_id = (flowstate_tests.ctx(1) ->> 'client_account_id')::uuid
                    group by 1, 2, 3) t),
          array['(crewai,failed,failed,1)', '(crewai,research,running,1)', '(crewai,start,running,1)'],
          'the flows are counted once each');

select * from finish();
rollback;
