-- p_flow_id and p_state are required, and p_expected_version, when given, must be at
-- least 1: FS001, nothing written.
begin;
\ir ../_helpers.sql
select plan(7);

select flowstate_tests.make_flow() as flow_id \gset
set local role flowstate_app;
select flowstate.flow_load_state(:'flow_id', flowstate_tests.ctx()) as before \gset

select throws_ok(format($$ select flowstate.flow_save_state(null, %L, null, flowstate_tests.ctx()) $$, flowstate_tests.doc(:'flow_id')),
                 'FS001', null, 'a NULL p_flow_id is FS001');
select throws_ok(format($$ select flowstate.flow_save_state(%L, null, 1, flowstate_tests.ctx()) $$, :'flow_id'),
                 'FS001', null, 'a NULL p_state is FS001');
select throws_ok(format($$ select flowstate.flow_save_state(%L, null, null, flowstate_tests.ctx()) $$, gen_random_uuid()),
                 'FS001', null, 'creating with a NULL p_state is FS001');
select throws_ok(format($$ select flowstate.flow_save_state(%L, %L, 0, flowstate_tests.ctx()) $$, :'flow_id', flowstate_tests.doc(:'flow_id')),
                 'FS001', null, 'p_expected_version 0 is FS001');
select throws_ok(format($$ select flowstate.flow_save_state(%L, %L, -1, flowstate_tests.ctx()) $$, :'flow_id', flowstate_tests.doc(:'flow_id')),
                 'FS001', null, 'a negative p_expected_version is FS001');
select is(flowstate.flow_load_state(:'flow_id', flowstate_tests.ctx()), :'before'::jsonb, 'the stored flow is unchanged');
reset role;
select is(flowstate_tests.audit_count(:'flow_id'), 1::bigint, 'no audit row was written');

select * from finish();
rollback;
