-- A CrewAI method literally named `completed` or `failed` ends the flow like a transition to
-- that phase: completed completes the phase it leaves, failed records it as failed_phase.
-- (Both used to be refused: the step wrote status running beside a terminal phase, and a
-- move to failed listed the phase it left as completed.)
begin;
\ir ../_helpers.sql
select plan(6);

select gen_random_uuid() as done_id, gen_random_uuid() as failed_id \gset
select flowstate.flow_record_step(:'done_id', 'gather', '{"n": 1}', 'gather', flowstate_tests.ctx()) is not null as ok \gset
select flowstate.flow_record_step(:'done_id', 'completed', '{"n": 2}', 'completed', flowstate_tests.ctx()) -> 'status' as status \gset
select is(:'status'::jsonb, '"completed"'::jsonb, 'a step named completed ends the flow');
select is(flowstate.flow_load_state(:'done_id', flowstate_tests.ctx()) -> 'phases_completed', '["gather"]'::jsonb,
          'and completes the phase it leaves');
select is(flowstate_tests.error_of(format($$ select flowstate.flow_record_step(%L, 'more', '{}', 'more', flowstate_tests.ctx()) $$,
                                          :'done_id')) ->> 'sqlstate', 'FS003', 'nothing follows completed');

select flowstate.flow_record_step(:'failed_id', 'gather', '{"n": 1}', 'gather', flowstate_tests.ctx()) is not null as ok \gset
select flowstate.flow_record_step(:'failed_id', 'failed', '{"n": 2}', 'failed', flowstate_tests.ctx()) as doc \gset
select is(:'doc'::jsonb -> 'status', '"failed"', 'a step named failed fails the flow');
select is(:'doc'::jsonb -> 'phases_completed', '[]'::jsonb, 'without completing the phase it leaves');
select is(:'doc'::jsonb -> 'failed_phase', '"gather"', 'which is recorded as the failed phase');

select * from finish();
rollback;
