-- A batch of three flows whose middle one has a row that is not JSON: that flow is refused
-- (its element says FS001 and why, as flow_import_legacy would raise it) and nothing of it is
-- written; the flows before and after it are imported exactly as one call each would import
-- them (rows, flow, ledger, pending feedback). The same batch again: the two are already
-- migrated and nothing more is written.
begin;
\ir ../_helpers.sql
select plan(9);

set local role flowstate_app;
select flowstate.flow_import_legacy_batch(
  array['first', 'broken', 'last'], '{2,2,1}',
  '{1,2,3,4,5}', '{start,step,start,step,start}', '{t1,t2,t3,t4,t5}',
  array['{"n": 1}', '{"n": 2}', '{"n": 3}', '{"cut": ', '{"n": 5}'],
  array[null, null, '{"legacy_id": 9, "context_json": "{\"ask\": 1}", "state_json": "{}", "created_at": "2026-01-01"}']::jsonb[],
  '{"fingerprint": "f"}', flowstate_tests.ctx()) as batch \gset
reset role;

select is(array(select e ->> 'status' from jsonb_array_elements(:'batch'::jsonb) e),
          array['migrated', 'refused', 'migrated'], 'one result per flow, in order: the bad flow alone is refused');
select is((:'batch'::jsonb -> 1) - 'message',
          jsonb_build_object('external_id', 'broken', 'status', 'refused', 'sqlstate', 'FS001',
            'detail', jsonb_build_object('flow_id', flowstate.flow_id_for('broken', flowstate_tests.ctx()), 'external_id', 'broken',
              'errors', jsonb_build_array('Legacy row 4: not JSON: The input string ended unexpectedly.'))),
          'its element carries the SQLSTATE and the DETAIL the single call raises');
select is((select count(*) from flowstate.legacy_rows where flow_id = flowstate.flow_id_for('broken', flowstate_tests.ctx())),
          0::bigint, 'no row of the refused flow is kept');
select is((select count(*) from flowstate.flows where flow_id = flowstate.flow_id_for('broken', flowstate_tests.ctx()))
          + (select count(*) from flowstate.migration_ledger where external_id = 'broken'),
          0::bigint, 'nor a flow or ledger entry');
select is((select array_agg(state_text order by legacy_id) from flowstate.legacy_rows
            where flow_id = flowstate.flow_id_for('first', flowstate_tests.ctx())),
          array['{"n": 1}', '{"n": 2}'], 'the flow before it keeps its rows exactly');
select is(flowstate.flow_load_state(flowstate.flow_id_for('last', flowstate_tests.ctx()), flowstate_tests.ctx()) ->> 'status',
          'paused', 'the flow after it is imported with its pending feedback');
select is((select array_agg(external_id order by external_id) from flowstate.migration_ledger), array['first', 'last'],
          'the ledger has the two imported flows');

select count(*) as audit_rows from flowstate.audit_log \gset
set local role flowstate_app;
select flowstate.flow_import_legacy_batch(
  array['first', 'last'], '{2,1}', '{1,2,5}', '{start,step,start}', '{t1,t2,t5}',
  array['{"n": 1}', '{"n": 2}', '{"n": 5}'],
  array[null, '{"legacy_id": 9, "context_json": "{\"ask\": 1}", "state_json": "{}", "created_at": "2026-01-01"}']::jsonb[],
  '{"fingerprint": "f"}', flowstate_tests.ctx()) as again \gset
reset role;
select is(array(select e ->> 'status' from jsonb_array_elements(:'again'::jsonb) e),
          array['already_migrated', 'already_migrated'], 'the same flows again are already migrated');
select is((select count(*) from flowstate.audit_log), :'audit_rows'::bigint, 'and nothing more is written');

select * from finish();
rollback;
