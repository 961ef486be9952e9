-- A deleted flow's pause for feedback goes with it (pending_feedback references the flow,
-- on delete cascade): the new flow under its id is not paused, and clearing finds nothing.
begin;
\ir ../_helpers.sql
\ir _reused_id.sql
select plan(4);

select * from flowstate_tests.reuse_flow_id() \gset
set local role flowstate_app;
select is(flowstate.flow_load_pending_feedback(:'flow_id', flowstate_tests.ctx_b()), null, 'B is not paused');
select is(flowstate.flow_clear_pending_feedback(:'flow_id', flowstate_tests.ctx_b()), false, 'B has no pause to clear');
reset role;

select * from flowstate_tests.reuse_flow_id(p_b_tenant => 1) \gset
set local role flowstate_app;
select is(flowstate.flow_load_pending_feedback(:'flow_id', flowstate_tests.ctx_b(1)), null,
          'nor is a new flow of A''s own tenant');
select is(flowstate.flow_clear_pending_feedback(:'flow_id', flowstate_tests.ctx_b(1)), false, 'which has no pause to clear either');
reset role;

select * from finish();
rollback;
