-- A request id answers only for its own flow: another request id on the same flow writes
-- again, and the same request id on another flow writes that flow.
begin;
\ir ../_helpers.sql
select plan(4);

select flowstate_tests.make_flow() as a \gset
select flowstate_tests.make_flow() as b \gset
select gen_random_uuid() as request \gset
select flowstate.flow_save_state(:'a', flowstate_tests.doc(:'a', p_state_data => '{"n": 1}'), 1, flowstate_tests.ctx(), :'request')
  is not null as ok \gset

select is(flowstate.flow_save_state(:'a', flowstate_tests.doc(:'a', p_state_data => '{"n": 2}'), 2, flowstate_tests.ctx(),
                                    gen_random_uuid()) ->> 'flow_version', '3',
          'another request id on the same flow writes the next version');
select is(flowstate_tests.audit_count(:'a'), 3::bigint, 'and is audited');
select is(flowstate.flow_save_state(:'b', flowstate_tests.doc(:'b', p_state_data => '{"n": 1}'), 1, flowstate_tests.ctx(),
                                    :'request') ->> 'flow_version', '2',
          'the same request id on another flow writes that flow');
select is(flowstate.flow_load_state(:'b', flowstate_tests.ctx()) -> 'state_data', '{"n": 1}'::jsonb,
          'with its own state');

select * from finish();
rollback;
