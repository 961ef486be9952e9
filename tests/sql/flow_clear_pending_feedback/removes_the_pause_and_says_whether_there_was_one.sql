-- Clearing a pause (after the flow resumed) removes it and returns true; clearing again, or
-- clearing a flow never paused, returns false. The flow itself is untouched: same document,
-- no audit row.
begin;
\ir ../_helpers.sql
select plan(5);

select gen_random_uuid() as flow_id \gset
select flowstate_tests.make_flow() as never_paused \gset
set local role flowstate_app;
select flowstate.flow_record_step(:'flow_id', 'review', '{"d": 1}', 'review', flowstate_tests.ctx(), p_feedback => '{"m": 1}') is not null as paused \gset
select flowstate.flow_load_state(:'flow_id', flowstate_tests.ctx()) as before \gset

select is(flowstate.flow_clear_pending_feedback(:'flow_id', flowstate_tests.ctx()), true, 'clearing a pause returns true');
select is(flowstate.flow_load_pending_feedback(:'flow_id', flowstate_tests.ctx()), null::jsonb, 'the flow is no longer paused');
select is(array[flowstate.flow_clear_pending_feedback(:'flow_id', flowstate_tests.ctx()),
                flowstate.flow_clear_pending_feedback(:'never_paused', flowstate_tests.ctx())],
          array[false, false], 'clearing again, or a flow never paused, returns false');
select is(flowstate.flow_load_state(:'flow_id', flowstate_tests.ctx()), :'before'::jsonb, 'the flow''s document is unchanged');
reset role;
select is(flowstate_tests.audit_count(:'flow_id'), 1::bigint, 'no audit row was written');

select * from finish();
rollback;
