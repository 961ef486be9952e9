-- A put is validated like a save: an invalid document is FS001 with every problem
-- listed, and neither creates nor changes a flow nor writes an audit row.
begin;
\ir ../_helpers.sql
select plan(7);

select flowstate_tests.make_flow() as flow_id \gset
select gen_random_uuid() as new_id \gset
set local role flowstate_app;
select flowstate.flow_load_state(:'flow_id', flowstate_tests.ctx()) as before \gset

select flowstate_tests.outcome_of(format($$ select flowstate.flow_put_state(%L, %L, 'm', flowstate_tests.ctx()) $$, :'flow_id',
                                       jsonb_build_object('flow_id', :'flow_id', 'current_phase', 'nowhere',
                                                          'phases_completed', '[]'::jsonb, 'state_data', '"text"'::jsonb))) as e \gset
select is(:'e'::jsonb ->> 'sqlstate', 'FS001', 'an invalid replacement is FS001');
select is(jsonb_array_length(:'e'::jsonb -> 'detail' -> 'errors'), 2, 'both problems (unknown phase, state_data) are listed');
select throws_ok(format($$ select flowstate.flow_put_state(%L, %L, 'm', flowstate_tests.ctx()) $$, :'new_id',
                        jsonb_build_object('flow_id', :'new_id', 'current_phase', 'data_import')),
                 'FS001', null, 'an invalid creation is FS001');
select throws_ok(format($$ select flowstate.flow_put_state(%L, %L, 'm', '{}') $$, :'new_id', flowstate_tests.doc(:'new_id')),
                 'FS001', null, 'a malformed context is FS001');
select is(flowstate.flow_load_state(:'flow_id', flowstate_tests.ctx()), :'before'::jsonb, 'the stored flow is unchanged');
reset role;
select is(flowstate_tests.audit_count(:'flow_id'), 1::bigint, 'no audit row was written');
select is((select count(*) from flowstate.flows where flow_id = :'new_id'), 0::bigint, 'no flow was created');

select * from finish();
rollback;
