-- A save may move a running flow to failed: status becomes failed, failed_phase records
-- the phase that failed (not a forged one from the document), and that phase is not
-- marked completed; a save that fails and completes a phase at once is FS003.
begin;
\ir ../_helpers.sql
select plan(7);

select flowstate_tests.make_flow_at('field_mapping') as flow_id \gset
set local role flowstate_app;
select flowstate.flow_load_state(:'flow_id', flowstate_tests.ctx()) as before \gset

select throws_ok(
  format($$ select flowstate.flow_save_state(%L, %L, 2, flowstate_tests.ctx()) $$, :'flow_id',
         flowstate_tests.doc(:'flow_id', 'failed', '{data_import,field_mapping}')),
  'FS003', null, 'failing while completing field_mapping is FS003');
select is(flowstate.flow_load_state(:'flow_id', flowstate_tests.ctx()), :'before'::jsonb, 'and changes nothing');

select flowstate.flow_save_state(:'flow_id', flowstate_tests.doc(:'flow_id', 'failed', '{data_import}')
                                             || '{"failed_phase": "data_cleansing"}', 2, flowstate_tests.ctx()) as saved \gset
select is(:'saved'::jsonb ->> 'current_phase', 'failed', 'the flow is failed');
select is(:'saved'::jsonb ->> 'status', 'failed', 'with status failed');
select is(:'saved'::jsonb ->> 'failed_phase', 'field_mapping', 'failed_phase is the phase it was in, not the one sent');
select is(:'saved'::jsonb -> 'phases_completed', '["data_import"]'::jsonb, 'field_mapping is not marked completed');
select is(flowstate.flow_load_state(:'flow_id', flowstate_tests.ctx()) ->> 'failed_phase', 'field_mapping',
          'the loaded document has the failed phase');

select * from finish();
rollback;
