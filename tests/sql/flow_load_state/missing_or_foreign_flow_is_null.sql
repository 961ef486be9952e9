-- A flow that does not exist and a flow of another tenant both load as NULL: the caller
-- cannot tell them apart. The same flow loads for its own tenant.
begin;
\ir ../_helpers.sql
select plan(4);

select flowstate_tests.make_flow(p_tenant => 2) as theirs \gset
set local role flowstate_app;

select is(flowstate.flow_load_state(gen_random_uuid(), flowstate_tests.ctx(1)), null::jsonb, 'a missing flow loads as NULL');
select is(flowstate.flow_load_state(:'theirs', flowstate_tests.ctx(1)), null::jsonb, 'another tenant''s flow loads as NULL');
select is(flowstate.flow_load_state(:'theirs', jsonb_build_object(
            'client_account_id', flowstate_tests.ctx(2) ->> 'client_account_id',
            'engagement_id', flowstate_tests.ctx(1) ->> 'engagement_id',
            'user_id', flowstate_tests.ctx(2) ->> 'user_id')), null::jsonb,
          'the right client with another engagement does not see it either');
select is(flowstate.flow_load_state(:'theirs', flowstate_tests.ctx(2, 5)) ->> 'flow_id', :'theirs',
          'any user of the owning tenant loads it');

select * from finish();
rollback;
