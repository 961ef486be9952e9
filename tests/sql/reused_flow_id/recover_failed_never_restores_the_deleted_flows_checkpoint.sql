-- flow_recover_failed on a reused id looks at the new flow's checkpoints only: with none of
-- its own it is FS006 (no checkpoints tried) and changes nothing, though the deleted flow's
-- checkpoint would still validate; with one of its own, that one is restored.
begin;
\ir ../_helpers.sql
\ir _reused_id.sql
select plan(5);

select * from flowstate_tests.reuse_flow_id() \gset
select flowstate_tests.everything_of(:'flow_id') as before \gset
set local role flowstate_app;
select is(flowstate_tests.outcome_of(format($$ select flowstate.flow_recover_failed(%L, flowstate_tests.ctx_b()) $$, :'flow_id')),
          jsonb_build_object('sqlstate', 'FS006', 'detail', jsonb_build_object('flow_id', :'flow_id', 'checkpoints_tried', 0,
                                                                               'reason', 'The flow has no checkpoints.')),
          'B has no checkpoint to recover from: FS006, none tried');
reset role;
select is(flowstate_tests.everything_of(:'flow_id'), :'before', 'nothing changed');

set local role flowstate_app;
select flowstate.flow_create_checkpoint(:'flow_id', null, 'B checkpoint', flowstate_tests.ctx_b()) as b_checkpoint \gset
select flowstate.flow_save_state(:'flow_id', flowstate_tests.b_doc(:'flow_id', '{"mine": "B2"}'), 1, flowstate_tests.ctx_b())
         is not null as saved \gset
select flowstate.flow_recover_failed(:'flow_id', flowstate_tests.ctx_b()) as recovered \gset
select is(:'recovered'::jsonb -> 'state_data', '{"mine": "B"}'::jsonb, 'with a checkpoint of its own, B''s state is restored');
select ok(position('secret' in :'recovered') = 0, 'and nothing of A''s');
select is((select label from flowstate.flow_history(:'flow_id', flowstate_tests.ctx_b(), p_operation => 'recover')),
          :'b_checkpoint', 'from B''s checkpoint');
reset role;

select * from finish();
rollback;
