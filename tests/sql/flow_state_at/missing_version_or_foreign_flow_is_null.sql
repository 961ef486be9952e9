-- flow_state_at returns NULL, like flow_load_state, for a version the flow never had
-- (0, negative, beyond the current one, NULL), for another tenant's flow and for a flow that
-- does not exist; a malformed context is FS001. The application role may call it.
begin;
\ir ../_helpers.sql
select plan(11);

select flowstate_tests.make_flow(p_versions => 3) as flow_id \gset
set local role flowstate_app;

select isnt(flowstate.flow_state_at(:'flow_id', 2, flowstate_tests.ctx()), null, 'version 2 exists (control)');
select is(flowstate.flow_state_at(:'flow_id', 2, flowstate_tests.ctx()) -> 'state_data', '{"step": 1}'::jsonb,
          'and holds what version 2 saved');
select is(flowstate.flow_state_at(:'flow_id', 0, flowstate_tests.ctx()), null, 'version 0 is NULL');
select is(flowstate.flow_state_at(:'flow_id', -1, flowstate_tests.ctx()), null, 'a negative version is NULL');
select is(flowstate.flow_state_at(:'flow_id', 4, flowstate_tests.ctx()), null, 'a version after the current one is NULL');
select is(flowstate.flow_state_at(:'flow_id', null, flowstate_tests.ctx()), null, 'a NULL version is NULL');
select is(flowstate.flow_state_at(:'flow_id', 2, flowstate_tests.ctx(2)), null, 'another tenant''s flow is NULL');
select is(flowstate.flow_state_at(:'flow_id', 2, flowstate_tests.ctx(1) || '{"engagement_id": "00000000-0000-4000-b000-000000000009"}'),
          null, 'another engagement of the same client is NULL');
select is(flowstate.flow_state_at(gen_random_uuid(), 1, flowstate_tests.ctx()), null, 'a missing flow is NULL');
select throws_ok(format($$ select flowstate.flow_state_at(%L, 2, '{"user_id": "nope"}') $$, :'flow_id'), 'FS001', null,
                 'a malformed context is FS001');
select throws_ok(format($$ select flowstate.flow_state_at(%L, 2, null) $$, :'flow_id'), 'FS001', null,
                 'a NULL context is FS001 for the application role');

select * from finish();
rollback;
