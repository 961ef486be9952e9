-- flow_put_state creates a flow that does not exist yet (version 1), returning the stored
-- document without state_data, like flow_save_state.
begin;
\ir ../_helpers.sql
select plan(6);

select gen_random_uuid() as flow_id \gset
set local role flowstate_app;
select flowstate.flow_put_state(:'flow_id', flowstate_tests.doc(:'flow_id', p_state_data => '{"n": 1}'), 'kickoff',
                                flowstate_tests.ctx()) as put \gset

select is((:'put'::jsonb ->> 'flow_version')::int, 1, 'the new flow is at version 1');
select ok(not (:'put'::jsonb ? 'state_data'), 'the returned document has no state_data');
select is(:'put'::jsonb -> 'metadata', flowstate_tests.ctx(), 'metadata holds the context''s tenant and user');
select is(flowstate.flow_load_state(:'flow_id', flowstate_tests.ctx()) -> 'state_data', '{"n": 1}'::jsonb, 'state_data was stored');
select is(flowstate.flow_load_state(:'flow_id', flowstate_tests.ctx()) - 'state_data', :'put'::jsonb,
          'the returned document is the stored one without state_data');
reset role;
select is(flowstate_tests.audit_count(:'flow_id'), 1::bigint, 'one audit row');

select * from finish();
rollback;
