-- A batch's set-based path takes only new, plain flows. A flow with pending feedback, one
-- imported before, and a latest state that jsonb cannot hold as it is (a \u0000, which makes the
-- set-based path give up for the whole batch) are each imported, or answered, as a call for that
-- flow alone would: nothing is lost and nothing is written twice.
begin;
\ir ../_helpers.sql
select plan(7);

set local role flowstate_app;
select flowstate.flow_import_legacy('before', '{1}', '{start}', '{t1}', array['{"n": 1}'], '{"fingerprint": "f"}',
                                    flowstate_tests.ctx()) is not null as imported_before \gset
select flowstate.flow_import_legacy_batch(
  array['plain', 'paused', 'before'], '{1,1,1}', '{2,3,1}', '{start,ask,start}', '{t2,t3,t1}',
  array['{"n": 2}', '{"n": 3}', '{"n": 1}'],
  array[null, '{"legacy_id": 9, "context_json": "{\"ask\": 1}", "state_json": "{}", "created_at": "2026-01-01"}', null]::jsonb[],
  '{"fingerprint": "f"}', flowstate_tests.ctx()) as mixed \gset
select flowstate.flow_import_legacy_batch(
  array['clean', 'nul'], '{1,2}', '{4,5,6}', '{start,start,write}', '{t4,t5,t6}',
  array['{"n": 4}', '{"n": 5}', '{"text": "a\u0000b"}'], array[null, null]::jsonb[],
  '{"fingerprint": "f"}', flowstate_tests.ctx()) as fallback \gset
reset role;

select is(array(select e ->> 'status' from jsonb_array_elements(:'mixed'::jsonb) e),
          array['migrated', 'migrated', 'already_migrated'], 'new flows are migrated, the flow imported before is already migrated');
select is(flowstate.flow_load_state(flowstate.flow_id_for('paused', flowstate_tests.ctx()), flowstate_tests.ctx()) ->> 'status',
          'paused', 'the flow with pending feedback is imported paused');
select is((select count(*) from flowstate.legacy_rows r join flowstate.migration_ledger l using (flow_id)
            where l.external_id in ('plain', 'paused', 'before')),
          3::bigint, 'each flow has its one row, the earlier one not stored twice');
select is(array(select e ->> 'status' from jsonb_array_elements(:'fallback'::jsonb) e),
          array['migrated', 'migrated'], 'a batch the set-based path gives up on is still imported, flow by flow');
select is(:'fallback'::jsonb -> 1 -> 'mapped', '["\\u0000 characters became U+FFFD."]'::jsonb,
          'the \u0000 is mapped and reported as a call for that flow alone does');
select is(flowstate.flow_load_state(flowstate.flow_id_for('nul', flowstate_tests.ctx()), flowstate_tests.ctx()) -> 'state_data',
          jsonb_build_object('text', 'a' || chr(65533) || 'b'), 'its state is the mapped latest row');
select is((select array_agg(l.external_id || ' ' || l.row_count || ' ' || (select count(*) from flowstate.legacy_rows r where r.flow_id = l.flow_id)
                            order by l.external_id) from flowstate.migration_ledger l),
          array['before 1 1', 'clean 1 1', 'nul 2 2', 'paused 1 1', 'plain 1 1'], 'every ledger entry has its rows, once');

select * from finish();
rollback;
