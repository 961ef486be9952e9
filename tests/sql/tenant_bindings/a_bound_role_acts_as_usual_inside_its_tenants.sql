-- Inside its bindings a bound login works as any other: a binding names a client account and
-- an engagement, or (engagement_id NULL) every engagement of the account. UUIDs match in any
-- case, as everywhere else in a context.
begin;
\ir ../_helpers.sql
select plan(7);

create role flowstate_test_agent login in role flowstate_app;
insert into flowstate.role_tenants (role_name, client_account_id, engagement_id) values
  ('flowstate_test_agent', (flowstate_tests.ctx(1) ->> 'client_account_id')::uuid, (flowstate_tests.ctx(1) ->> 'engagement_id')::uuid),
  ('flowstate_test_agent', (flowstate_tests.ctx(3) ->> 'client_account_id')::uuid, null);
select flowstate_tests.ctx(3) || jsonb_build_object('engagement_id', gen_random_uuid()) as any_engagement,
       (select jsonb_object_agg(key, upper(value)) from jsonb_each_text(flowstate_tests.ctx(1))) as shouting \gset
select gen_random_uuid() as mine, gen_random_uuid() as other \gset

set local session authorization flowstate_test_agent;
select is(flowstate.flow_save_state(:'mine', flowstate_tests.doc(:'mine'), null, flowstate_tests.ctx(1)) ->> 'flow_version', '1',
          'creates a flow of a bound tenant');
select is(flowstate.flow_save_state(:'mine', flowstate_tests.doc(:'mine', p_state_data => '{"n": 1}'), 1, flowstate_tests.ctx(1)) ->> 'flow_version', '2',
          'saves it');
select is(flowstate.flow_load_state(:'mine', flowstate_tests.ctx(1)) -> 'state_data', '{"n": 1}'::jsonb, 'loads it');
select is((select count(*) from flowstate.flow_history(:'mine', flowstate_tests.ctx(1))), 2::bigint, 'reads its history');
select is(flowstate.flow_load_state(:'mine', :'shouting'), flowstate.flow_load_state(:'mine', flowstate_tests.ctx(1)),
          'the same context in upper case is the same tenant');
select is(flowstate.flow_save_state(:'other', flowstate_tests.doc(:'other'), null, :'any_engagement') ->> 'flow_version', '1',
          'a binding without an engagement allows any engagement of the account');
select is(flowstate.flow_load_state(:'other', :'any_engagement') ->> 'flow_id', :'other', 'and reads it back');
reset session authorization;

select * from finish();
rollback;
