-- flow_load_state checks the request context like every call: FS001, every problem listed.
begin;
\ir ../_helpers.sql
select plan(4);

select flowstate_tests.make_flow() as flow_id \gset
set local role flowstate_app;

select flowstate_tests.outcome_of(format($$ select flowstate.flow_load_state(%L, '{"client_account_id": "x"}') $$,
                                       :'flow_id')) as e \gset
select is(:'e'::jsonb ->> 'sqlstate', 'FS001', 'a malformed context is FS001');
select is(jsonb_array_length(:'e'::jsonb -> 'detail' -> 'errors'), 3, 'with all three problems listed');
select throws_ok(format($$ select flowstate.flow_load_state(%L, '[]') $$, :'flow_id'), 'FS001', null,
                 'a context that is not an object is FS001');
select throws_ok(format($$ select flowstate.flow_load_state(%L, %L) $$, :'flow_id', flowstate_tests.ctx() - 'engagement_id'),
                 'FS001', null, 'a context without engagement_id is FS001');

select * from finish();
rollback;
