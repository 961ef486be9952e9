-- p_items must be a JSON array of objects and the context well-formed: otherwise the whole
-- call is FS001 before any item is saved.
begin;
\ir ../_helpers.sql
select plan(8);

select gen_random_uuid() as flow_id \gset
select jsonb_build_object('flow_id', :'flow_id', 'state', flowstate_tests.doc(:'flow_id')) as item \gset
set local role flowstate_app;

select throws_ok(format($$ select flowstate.flow_save_states(%L, flowstate_tests.ctx()) $$, :'item'),
                 'FS001', null, 'an object instead of an array is FS001');
select throws_ok($$ select flowstate.flow_save_states(null, flowstate_tests.ctx()) $$, 'FS001', null, 'NULL items are FS001');
select throws_ok($$ select flowstate.flow_save_states('[1]', flowstate_tests.ctx()) $$, 'FS001', null,
                 'an array of something else than objects is FS001');
select throws_ok(format($$ select flowstate.flow_save_states(jsonb_build_array(%L::jsonb, 'x'), flowstate_tests.ctx()) $$, :'item'),
                 'FS001', null, 'one item that is not an object refuses the whole call');
select is(flowstate_tests.error_of($$ select flowstate.flow_save_states('{}', flowstate_tests.ctx()) $$) -> 'detail' -> 'errors',
          '["p_items must be a JSON array of {\"flow_id\", \"state\", \"expected_version\"} objects."]'::jsonb,
          'DETAIL says what p_items must be');
select is(flowstate_tests.context_refusals(format($$ select flowstate.flow_save_states(jsonb_build_array(%L::jsonb), %%s) $$, :'item')),
          array['FS001', 'FS001', 'FS001'], 'a malformed, non-object or (for the app role) NULL context is FS001');
reset role;
select is((select count(*) from flowstate.flows where flow_id = :'flow_id'), 0::bigint, 'the valid item was not saved');
select is(flowstate_tests.audit_count(:'flow_id'), 0::bigint, 'no audit row was written');

select * from finish();
rollback;
