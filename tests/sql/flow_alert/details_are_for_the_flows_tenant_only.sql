-- An alert's notification carries only its event and id (any role can LISTEN); flow_alert
-- gives the details to the flow's tenant, and to an admin passing a NULL context. Another
-- tenant gets NULL, exactly as for an alert id that does not exist.
begin;
\ir ../_helpers.sql
select plan(9);

select flowstate_tests.make_flow(p_versions => 2) as flow_id \gset
select flowstate.flow_create_checkpoint(:'flow_id', null, 'cp', flowstate_tests.ctx()) as checkpoint_id \gset
set local role flowstate_app;
select flowstate.flow_recover_from_checkpoint(:'flow_id', :'checkpoint_id', null, flowstate_tests.ctx(1, 7)) ->> 'flow_version' as recovered_version \gset
reset role;
select alert_id from flowstate.alerts where flow_id = :'flow_id' \gset

set local role flowstate_app;
select flowstate.flow_alert(:'alert_id', flowstate_tests.ctx(1)) as mine,
       coalesce(flowstate.flow_alert(:'alert_id', flowstate_tests.ctx(2)), 'null') as theirs,
       coalesce(flowstate.flow_alert(gen_random_uuid(), flowstate_tests.ctx(1)), 'null') as unknown \gset
reset role;

select is(:'mine'::jsonb - '{at,actor_role}'::text[],
          jsonb_build_object('alert_id', :'alert_id', 'event', 'flow_recovered', 'flow_id', :'flow_id', 'flow_type', 'discovery',
                             'flow_version', :recovered_version, 'current_phase', 'data_import',
                             'client_account_id', flowstate_tests.ctx(1) ->> 'client_account_id',
                             'engagement_id', flowstate_tests.ctx(1) ->> 'engagement_id',
                             'actor_user_id', flowstate_tests.ctx(1, 7) ->> 'user_id', 'restored', :'checkpoint_id'),
          'the flow''s tenant gets the details: event, flow, tenant, versions, actor, and what was restored');
select is(:'mine'::jsonb ->> 'actor_role', 'flowstate_app', 'with the real calling role');
select ok((:'mine'::jsonb ->> 'at')::timestamptz between now() and clock_timestamp(), 'and the time');
select is(:'theirs'::text, 'null', 'another tenant gets NULL');
select is(:'unknown'::text, 'null', 'as for an alert that does not exist');
select is(flowstate.flow_alert(:'alert_id', null), :'mine'::jsonb, 'an admin''s NULL context gets the details');

set local role flowstate_app;
select is(flowstate_tests.outcome_of(format($$ select flowstate.flow_alert(%L, null) $$, :'alert_id')) ->> 'sqlstate', 'FS001',
          'the application role may not pass a NULL context');
select is(flowstate_tests.outcome_of(format($$ select flowstate.flow_alert(%L, '{"client_account_id": 1}') $$, :'alert_id')) ->> 'sqlstate',
          'FS001', 'nor a malformed one');
select throws_ok($$ select * from flowstate.alerts $$, '42501', null, 'nor read the alerts table');
reset role;

select * from finish();
rollback;
