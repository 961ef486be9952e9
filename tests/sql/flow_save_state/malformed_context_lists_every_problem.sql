-- The request context needs client_account_id, engagement_id and user_id, all UUID strings:
-- otherwise FS001 with every problem of the context listed, and nothing is written.
begin;
\ir ../_helpers.sql
select plan(9);

select gen_random_uuid() as flow_id \gset
set local role flowstate_app;

select flowstate_tests.outcome_of(format($$ select flowstate.flow_save_state(%L, %L, null, '{}') $$,
                                       :'flow_id', flowstate_tests.doc(:'flow_id'))) as e \gset
select is(:'e'::jsonb ->> 'sqlstate', 'FS001', 'an empty context is FS001');
select is(jsonb_array_length(:'e'::jsonb -> 'detail' -> 'errors'), 3, 'each of the three missing fields is listed');

select flowstate_tests.outcome_of(format($$ select flowstate.flow_save_state(%L, %L, null, %L) $$,
                                       :'flow_id', flowstate_tests.doc(:'flow_id'),
                                       '{"client_account_id": "acme", "engagement_id": 5, "user_id": null}')) as e \gset
select is(:'e'::jsonb ->> 'sqlstate', 'FS001', 'malformed context fields are FS001');
select is(jsonb_array_length(:'e'::jsonb -> 'detail' -> 'errors'), 3, 'each malformed field is listed');

select is(jsonb_array_length(flowstate_tests.outcome_of(
            format($$ select flowstate.flow_save_state(%L, %L, null, %L) $$, :'flow_id', flowstate_tests.doc(:'flow_id'),
                   flowstate_tests.ctx() - 'user_id')) -> 'detail' -> 'errors'),
          1, 'a context without user_id has one problem');
select is(flowstate_tests.outcome_of(
            format($$ select flowstate.flow_save_state(%L, %L, null, %L) $$, :'flow_id', flowstate_tests.doc(:'flow_id'),
                   flowstate_tests.ctx() || '{"engagement_id": "00000000-0000-4000-b000-00000000000"}')) ->> 'sqlstate',
          'FS001', 'a UUID one digit short is FS001');
select is(flowstate_tests.outcome_of(format($$ select flowstate.flow_save_state(%L, %L, null, '["a"]') $$,
                                          :'flow_id', flowstate_tests.doc(:'flow_id'))) ->> 'sqlstate',
          'FS001', 'a context that is not an object is FS001');
select is(flowstate_tests.outcome_of(format($$ select flowstate.flow_save_state(%L, %L, null, '"tenant-1"') $$,
                                          :'flow_id', flowstate_tests.doc(:'flow_id'))) ->> 'sqlstate',
          'FS001', 'a context that is a string is FS001');
reset role;
select is((select count(*) from flowstate.flows where flow_id = :'flow_id'), 0::bigint, 'no flow was created');

select * from finish();
rollback;
