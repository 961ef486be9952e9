-- A step on a completed flow is refused (FS003) with a reason about completed, not about
-- leaving failed (CrewAI's phase_map={"c": "completed"} then a resume used to read "a flow
-- leaves failed only through recovery or reset"); a failed flow still names recovery.
begin;
\ir ../_helpers.sql
select plan(4);

select gen_random_uuid() as done_id, gen_random_uuid() as failed_id \gset
set local role flowstate_app;
select flowstate.flow_record_step(:'done_id', 'c', '{}', 'c', flowstate_tests.ctx()) is not null as ok \gset
select flowstate.flow_record_step(:'done_id', 'completed', '{}', 'c', flowstate_tests.ctx()) is not null as ok \gset
select flowstate.flow_record_step(:'failed_id', 'c', '{}', 'c', flowstate_tests.ctx()) is not null as ok \gset
select flowstate.flow_record_step(:'failed_id', 'failed', '{}', 'c', flowstate_tests.ctx()) is not null as ok \gset

select flowstate_tests.error_of(format($$ select flowstate.flow_record_step(%L, 'again', '{}', 'again', flowstate_tests.ctx()) $$,
                                       :'done_id')) as done_error \gset
select is(:'done_error'::jsonb ->> 'sqlstate', 'FS003', 'a step after completed is FS003');
select ok(:'done_error'::jsonb -> 'detail' ->> 'reason' ~ 'completed' and :'done_error'::jsonb -> 'detail' ->> 'reason' !~ 'failed',
          'whose reason is about completed, not failed: ' || (:'done_error'::jsonb -> 'detail' ->> 'reason'));

select flowstate_tests.error_of(format($$ select flowstate.flow_record_step(%L, 'again', '{}', 'again', flowstate_tests.ctx()) $$,
                                       :'failed_id')) as failed_error \gset
select is(:'failed_error'::jsonb ->> 'sqlstate', 'FS003', 'a step after failed is FS003');
select ok(:'failed_error'::jsonb -> 'detail' ->> 'reason' ~ 'recover',
          'whose reason names recovery: ' || (:'failed_error'::jsonb -> 'detail' ->> 'reason'));

select * from finish();
rollback;
