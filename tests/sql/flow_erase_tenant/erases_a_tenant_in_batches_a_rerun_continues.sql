-- flow_erase_tenant erases a tenant's flows as flow_delete does (a tombstone each), at most
-- p_limit per call; "more" says whether a run again is needed, and runs until it is false
-- erase them all. NULL engagement means every engagement of the client account; other
-- tenants, and the account's other engagements when one is named, are untouched.
begin;
\ir ../_helpers.sql
\ir ../_lifecycle.sql
select plan(9);

-- Client account 1: five flows in engagement 1 (one with rich content), two in another one.
select flowstate_tests.ctx(1) || jsonb_build_object('engagement_id', gen_random_uuid()) as second_engagement \gset
select count(flowstate_tests.make_flow(p_versions => 2)) as made from generate_series(1, 4) \gset
select flowstate_tests.make_rich_flow('tenant-content-91') as rich \gset
select count(flowstate.flow_save_state(id, flowstate_tests.doc(id), null, :'second_engagement')) as saved
  from (select gen_random_uuid() as id from generate_series(1, 2)) g \gset
select flowstate_tests.make_flow(p_tenant => 2) as other_tenant \gset

set local role flowstate_admin;
select flowstate.flow_erase_tenant((flowstate_tests.ctx(1) ->> 'client_account_id')::uuid,
                                   (flowstate_tests.ctx(1) ->> 'engagement_id')::uuid, 'contract ended', 2) as first \gset
select is(:'first'::jsonb - 'rows', jsonb_build_object('client_account_id', flowstate_tests.ctx(1) ->> 'client_account_id',
                                                      'engagement_id', flowstate_tests.ctx(1) ->> 'engagement_id', 'erased', 2, 'more', true),
          'a first batch of 2, and more to come');
select is((select count(*) from flowstate.flows where client_account_id = (flowstate_tests.ctx(1) ->> 'client_account_id')::uuid
             and engagement_id = (flowstate_tests.ctx(1) ->> 'engagement_id')::uuid), 3::bigint, 'three are left');
select is(flowstate.flow_erase_tenant((flowstate_tests.ctx(1) ->> 'client_account_id')::uuid,
                                      (flowstate_tests.ctx(1) ->> 'engagement_id')::uuid, 'contract ended', 2) ->> 'more', 'true',
          'a re-run continues');
select is(flowstate.flow_erase_tenant((flowstate_tests.ctx(1) ->> 'client_account_id')::uuid,
                                      (flowstate_tests.ctx(1) ->> 'engagement_id')::uuid, 'contract ended', 2) - 'rows',
          jsonb_build_object('client_account_id', flowstate_tests.ctx(1) ->> 'client_account_id',
                             'engagement_id', flowstate_tests.ctx(1) ->> 'engagement_id', 'erased', 1, 'more', false),
          'until the last one');
reset role;

select is_empty($$ select * from flowstate_tests.traces('tenant-content-91') $$, 'nothing of the content is left');
select is((select count(*) from flowstate.erasures where reason = 'contract ended' and action = 'delete'), 5::bigint,
          'one tombstone per flow');
select is((select count(*) from flowstate.flows where engagement_id = (:'second_engagement'::jsonb ->> 'engagement_id')::uuid), 2::bigint,
          'the account''s other engagement is untouched');

set local role flowstate_admin;
select is(flowstate.flow_erase_tenant((flowstate_tests.ctx(1) ->> 'client_account_id')::uuid, null, 'account closed', 100) -> 'erased',
          '2', 'NULL engagement: the rest of the client account');
reset role;
select is(array[(select count(*) from flowstate.flows where client_account_id = (flowstate_tests.ctx(1) ->> 'client_account_id')::uuid),
                (select count(*) from flowstate.flows where flow_id = :'other_tenant')],
          '{0,1}'::bigint[], 'no flow of the account is left, and the other tenant''s flow is');

select * from finish();
rollback;
