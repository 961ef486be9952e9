-- With the current version as expected version, a save succeeds and the version rises by
-- exactly one each time, whatever flow_version the document itself carries.
begin;
\ir ../_helpers.sql
select plan(6);

select flowstate_tests.make_flow() as flow_id \gset
set local role flowstate_app;

select is((flowstate.flow_save_state(:'flow_id', flowstate_tests.doc(:'flow_id', p_state_data => '{"step": 1}'), 1,
                                     flowstate_tests.ctx()) ->> 'flow_version')::int,
          2, 'saving at version 1 returns version 2');
select is((flowstate.flow_save_state(:'flow_id', flowstate_tests.doc(:'flow_id', p_state_data => '{"step": 2}'), 2,
                                     flowstate_tests.ctx()) ->> 'flow_version')::int,
          3, 'saving at version 2 returns version 3');
select is(flowstate.flow_load_state(:'flow_id', flowstate_tests.ctx()) -> 'state_data', '{"step": 2}'::jsonb,
          'the last state_data is stored');
select is((flowstate.flow_load_state(:'flow_id', flowstate_tests.ctx()) ->> 'flow_version')::int, 3,
          'the loaded document has version 3');
-- An unchanged document is still a save: a new version.
select is((flowstate.flow_save_state(:'flow_id', flowstate_tests.doc(:'flow_id', p_state_data => '{"step": 2}'), 3,
                                     flowstate_tests.ctx()) ->> 'flow_version')::int,
          4, 'saving an unchanged document still makes a new version');
select throws_ok(
  format($$ select flowstate.flow_save_state(%L, flowstate_tests.doc(%L), 3, flowstate_tests.ctx()) $$,
         :'flow_id', :'flow_id'),
  'FS002', null, 'the version just replaced is stale');

select * from finish();
rollback;
