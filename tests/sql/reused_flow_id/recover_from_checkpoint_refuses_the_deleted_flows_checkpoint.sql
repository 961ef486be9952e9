-- flow_recover_from_checkpoint on a reused id refuses a checkpoint id of the deleted flow as
-- unknown (FS006, as any other flow's) and changes nothing; the new flow's own checkpoint
-- restores.
begin;
\ir ../_helpers.sql
\ir _reused_id.sql
select plan(4);

select * from flowstate_tests.reuse_flow_id() \gset
select flowstate_tests.everything_of(:'flow_id') as before \gset
set local role flowstate_app;
select is(flowstate_tests.outcome_of(format($$ select flowstate.flow_recover_from_checkpoint(%L, %L, null, flowstate_tests.ctx_b()) $$,
                                            :'flow_id', :'a_checkpoint')),
          jsonb_build_object('sqlstate', 'FS006', 'detail', jsonb_build_object('flow_id', :'flow_id', 'checkpoint_id', :'a_checkpoint',
                                                                               'reason', 'The flow has no such checkpoint.')),
          'A''s checkpoint is unknown to B: FS006');
reset role;
select is(flowstate_tests.everything_of(:'flow_id'), :'before', 'nothing changed');

set local role flowstate_app;
select flowstate.flow_create_checkpoint(:'flow_id', null, 'B checkpoint', flowstate_tests.ctx_b()) as b_checkpoint \gset
select is(flowstate_tests.outcome_of(format($$ select flowstate.flow_recover_from_checkpoint(%L, %L, null, flowstate_tests.ctx_b()) $$,
                                            :'flow_id', :'a_checkpoint')) ->> 'sqlstate',
          'FS006', 'still unknown when B has checkpoints of its own');
select is(flowstate.flow_recover_from_checkpoint(:'flow_id', :'b_checkpoint', null, flowstate_tests.ctx_b()) -> 'state_data',
          '{"mine": "B"}'::jsonb, 'B''s own checkpoint restores');
reset role;

select * from finish();
rollback;
