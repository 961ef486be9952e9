-- flow_state_at on a reused id rebuilds the new flow's versions only: a version only the
-- deleted flow reached is NULL, and a version both reached is the new flow's, listing the
-- new flow's checkpoints only (the deleted flow's were taken earlier).
begin;
\ir ../_helpers.sql
\ir _reused_id.sql
select plan(5);

select * from flowstate_tests.reuse_flow_id() \gset
set local role flowstate_app;
select is(flowstate.flow_state_at(:'flow_id', 1, flowstate_tests.ctx_b()), flowstate.flow_load_state(:'flow_id', flowstate_tests.ctx_b()),
          'version 1 is B''s, without A''s checkpoints');
select is(flowstate.flow_state_at(:'flow_id', 4, flowstate_tests.ctx_b()), null, 'a version only A reached is NULL');
select is(flowstate.flow_save_state(:'flow_id', flowstate_tests.b_doc(:'flow_id', '{"mine": "B2"}'), 1, flowstate_tests.ctx_b()) ->> 'flow_version',
          '2', 'B saves version 2');
select is(flowstate.flow_state_at(:'flow_id', 2, flowstate_tests.ctx_b()), flowstate.flow_load_state(:'flow_id', flowstate_tests.ctx_b()),
          'version 2 is B''s');
select is(flowstate.flow_state_at(:'flow_id', 3, flowstate_tests.ctx_b()), null, 'and version 3 is still nobody''s');
reset role;

select * from finish();
rollback;
