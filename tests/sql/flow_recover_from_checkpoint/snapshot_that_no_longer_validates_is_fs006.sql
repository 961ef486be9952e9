-- A checkpoint is validated against today's rules before it is restored: after a DBA removes
-- an edge of the flow type's graph, a checkpoint whose phase path used it is FS006 (DETAIL
-- lists the errors) and nothing changes.
begin;
\ir ../_helpers.sql
select plan(4);

select flowstate_tests.make_flow_at('data_cleansing') as flow_id \gset
select flowstate.flow_create_checkpoint(:'flow_id', null, null, flowstate_tests.ctx()) as checkpoint_id \gset
select flowstate.flow_transition_phase(:'flow_id', 'failed', null, flowstate_tests.ctx()) is not null as failed \gset
delete from flowstate.phase_transitions
 where flow_type = 'discovery' and from_phase = 'field_mapping' and to_phase = 'data_cleansing';
select flowstate.flow_load_state(:'flow_id', flowstate_tests.ctx()) as before \gset
select flowstate_tests.audit_count(:'flow_id') as audit_before \gset

select flowstate_tests.error_of(format($$ select flowstate.flow_recover_from_checkpoint(%L, %L, null, flowstate_tests.ctx()) $$,
                                       :'flow_id', :'checkpoint_id')) as outcome \gset
select is(:'outcome'::jsonb ->> 'sqlstate', 'FS006', 'a checkpoint that no longer validates is FS006');
select ok(jsonb_array_length(:'outcome'::jsonb -> 'detail' -> 'errors') > 0, 'DETAIL lists why');
select is(flowstate.flow_load_state(:'flow_id', flowstate_tests.ctx()), :'before'::jsonb, 'the flow is unchanged');
select is(flowstate_tests.audit_count(:'flow_id'), :audit_before::bigint, 'no audit row was written');

select * from finish();
rollback;
