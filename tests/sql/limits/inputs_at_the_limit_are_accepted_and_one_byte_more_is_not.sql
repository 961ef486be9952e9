-- With the default limits, a value of exactly the limit is accepted and one byte more is
-- refused, counting UTF-8 bytes (é is two): labels 1024, phase names 200, feedback 1 MB.
-- The 33 MB checkpoint label that once made its flow's document too big to save back is
-- refused outright.
begin;
\ir ../_helpers.sql
select plan(8);

select gen_random_uuid() as open \gset
set local role flowstate_app;
select ok(flowstate.flow_record_step(:'open', repeat('é', 100), '{}', repeat('m', 1024), flowstate_tests.ctx()) is not null,
          'a 200-byte phase (100 x é) and a 1024-byte label are accepted');
select throws_ok(format($$ select flowstate.flow_record_step(%L, %L, '{}', 'm', flowstate_tests.ctx()) $$, :'open', repeat('é', 100) || 'x'),
                 'FS001', null, 'a 201-byte phase is refused');
select throws_ok(format($$ select flowstate.flow_record_step(%L, 'b', '{}', %L, flowstate_tests.ctx()) $$, :'open', repeat('m', 1025)),
                 'FS001', null, 'a 1025-byte label is refused');
select ok(flowstate.flow_create_checkpoint(:'open', null, repeat('c', 1024), flowstate_tests.ctx()) is not null,
          'a checkpoint label of 1024 bytes is accepted');
select throws_ok(format($$ select flowstate.flow_create_checkpoint(%L, null, repeat('c', 33 * 1024 * 1024), flowstate_tests.ctx()) $$, :'open'),
                 'FS001', null, 'a 33 MB checkpoint label is refused');
select ok(flowstate.flow_record_step(:'open', 'b', '{}', 'b', flowstate_tests.ctx(),
                                     p_feedback => jsonb_build_object('f', repeat('f', 1000000))) is not null,
          'feedback under 1 MB is accepted');
select throws_ok(format($$ select flowstate.flow_record_step(%L, 'c', '{}', 'c', flowstate_tests.ctx(), p_feedback => jsonb_build_object('f', repeat('f', 1048576))) $$, :'open'),
                 'FS001', null, 'feedback over 1 MB is refused');
select is(flowstate.flow_load_state(:'open', flowstate_tests.ctx()) ->> 'flow_version', '2', 'only the accepted steps were written');

select * from finish();
rollback;
