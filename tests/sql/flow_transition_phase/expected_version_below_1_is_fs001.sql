-- No flow has a version below 1, so p_expected_version 0 or negative is a bad argument
-- (FS001), not a stale version (FS002), for transitions and checkpoint recovery alike; nothing
-- changes.
begin;
\ir ../_helpers.sql
select plan(5);

select flowstate_tests.make_flow() as flow_id \gset
select flowstate.flow_create_checkpoint(:'flow_id', null, null, flowstate_tests.ctx()) as cp \gset
select flowstate.flow_load_state(:'flow_id', flowstate_tests.ctx()) as before \gset
select flowstate_tests.audit_count(:'flow_id') as audit_before \gset
set local role flowstate_app;

select throws_ok(format($$ select flowstate.flow_transition_phase(%L, 'field_mapping', 0, flowstate_tests.ctx()) $$, :'flow_id'),
                 'FS001', null, 'flow_transition_phase with version 0 is FS001');
select throws_ok(format($$ select flowstate.flow_transition_phase(%L, 'field_mapping', -3, flowstate_tests.ctx()) $$, :'flow_id'),
                 'FS001', null, 'and with a negative version');
select throws_ok(format($$ select flowstate.flow_recover_from_checkpoint(%L, %L, 0, flowstate_tests.ctx()) $$, :'flow_id', :'cp'),
                 'FS001', null, 'flow_recover_from_checkpoint with version 0 is FS001');
select is(flowstate.flow_load_state(:'flow_id', flowstate_tests.ctx()), :'before'::jsonb, 'the flow is unchanged');
reset role;
select is(flowstate_tests.audit_count(:'flow_id'), :'audit_before'::bigint, 'no audit row was written');

select * from finish();
rollback;
