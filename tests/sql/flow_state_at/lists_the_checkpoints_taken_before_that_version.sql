-- A past version lists the checkpoints its document listed when it was written: those taken
-- before it. A checkpoint taken after version 1 is not in version 1, and is in version 2.
-- (One transaction has one now(): version 1 is dated two hours back and the checkpoint one
-- hour back, as the superuser, with triggers off for those statements.)
begin;
\ir ../_helpers.sql
select plan(2);

select flowstate_tests.make_flow() as flow_id \gset
select flowstate.flow_create_checkpoint(:'flow_id', null, 'after one', flowstate_tests.ctx()) as checkpoint_id \gset
select flowstate_tests.backdate_audit(:'flow_id', 1, now() - interval '2 hours') as moved \gset
select flowstate_tests.backdate_checkpoint(:'checkpoint_id', now() - interval '1 hour');
select flowstate.flow_save_state(:'flow_id', flowstate_tests.doc(:'flow_id', p_state_data => '{"step": 1}'), 1,
                                 flowstate_tests.ctx()) is not null as saved \gset

set local role flowstate_app;
select is(flowstate.flow_state_at(:'flow_id', 1, flowstate_tests.ctx()) -> 'checkpoints', '[]'::jsonb,
          'version 1, written before the checkpoint, lists none');
select is(jsonb_path_query_array(flowstate.flow_state_at(:'flow_id', 2, flowstate_tests.ctx()), '$.checkpoints[*].id'),
          jsonb_build_array(:'checkpoint_id'), 'version 2, written after it, lists it');
reset role;

select * from finish();
rollback;
