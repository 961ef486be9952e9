-- With p_feedback the step also records the pause (status paused) in one transaction;
-- a feedback that is not an object is FS001 and writes neither.
begin;
\ir ../_helpers.sql
select plan(5);

select gen_random_uuid() as id \gset
select gen_random_uuid() as other \gset
set local role flowstate_app;
select flowstate.flow_record_step(:'id', 'review', '{"d": 1}', 'review', flowstate_tests.ctx(),
                                  p_feedback => '{"message": "ok?"}') is not null as ok \gset
select is(flowstate.flow_load_state(:'id', flowstate_tests.ctx()) ->> 'status', 'paused', 'the flow is paused');
select is(flowstate.flow_load_pending_feedback(:'id', flowstate_tests.ctx()) -> 'feedback', '{"message": "ok?"}'::jsonb,
          'the feedback context is stored');
select flowstate.flow_record_step(:'id', 'publish', '{"d": 2}', 'publish', flowstate_tests.ctx()) is not null as ok \gset
select is(flowstate.flow_load_state(:'id', flowstate_tests.ctx()) ->> 'status', 'running', 'a later step runs again');
select throws_ok(format($$ select flowstate.flow_record_step(%L, 'a', '{}', 'a', flowstate_tests.ctx(), p_feedback => '[1]') $$, :'other'),
                 'FS001', null, 'a feedback that is not an object is FS001');
select is(flowstate.flow_load_state(:'other', flowstate_tests.ctx()), null::jsonb, 'and nothing was written');

select * from finish();
rollback;
