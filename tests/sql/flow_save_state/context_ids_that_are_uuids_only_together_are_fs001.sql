-- Each id of the request context must be a UUID on its own: a client_account_id four
-- characters too long followed by an engagement_id four too short join into two well-formed
-- UUIDs, and are still FS001 naming both (not an invalid-uuid error from deeper down), with
-- nothing changed.
begin;
\ir ../_helpers.sql
select plan(3);

select flowstate_tests.make_flow() as flow_id \gset
select flowstate_tests.row_of(:'flow_id') as before \gset
select jsonb_build_object('client_account_id', '00000000-0000-4000-a000-0000000000010000',
                          'engagement_id', '0000-0000-4000-b000-000000000001',
                          'user_id', '00000000-0000-4000-c000-000000000001') as spilled \gset

set local role flowstate_app;
select flowstate_tests.outcome_of(format($$ select flowstate.flow_save_state(%L, %L, 1, %L) $$,
                                         :'flow_id', flowstate_tests.doc(:'flow_id', p_state_data => '{"step": 1}'), :'spilled'))
       as refused \gset
reset role;
select is(:'refused'::jsonb ->> 'sqlstate', 'FS001', 'the save is FS001');
select is(:'refused'::jsonb #> '{detail,errors}',
          '["The request context''s client_account_id must be a UUID string.", "The request context''s engagement_id must be a UUID string."]'::jsonb,
          'naming both ids');
select is(flowstate_tests.row_of(:'flow_id'), :'before'::jsonb, 'and the flow is unchanged');

select * from finish();
rollback;
