-- A checkpoint id the flow does not have, whether it exists nowhere or belongs to another
-- flow (of the same tenant), is FS006 with the ids in DETAIL; nothing changes.
begin;
\ir ../_helpers.sql
select plan(7);

select flowstate_tests.make_flow(p_versions => 2) as flow_id \gset
select flowstate_tests.make_flow(p_versions => 1) as other_id \gset
select flowstate.flow_create_checkpoint(:'other_id', null, null, flowstate_tests.ctx()) as other_checkpoint \gset
select flowstate.flow_load_state(:'flow_id', flowstate_tests.ctx()) as before \gset
select gen_random_uuid() as unknown_id \gset

select is(flowstate_tests.error_of(format($$ select flowstate.flow_recover_from_checkpoint(%L, %L, null, flowstate_tests.ctx()) $$,
                                          :'flow_id', :'unknown_id')) ->> 'sqlstate',
          'FS006', 'an unknown checkpoint id is FS006');
select is(flowstate_tests.error_of(format($$ select flowstate.flow_recover_from_checkpoint(%L, %L, null, flowstate_tests.ctx()) $$,
                                          :'flow_id', :'unknown_id')) -> 'detail' ->> 'checkpoint_id',
          :'unknown_id', 'DETAIL names the checkpoint');
select is(flowstate_tests.error_of(format($$ select flowstate.flow_recover_from_checkpoint(%L, %L, 2, flowstate_tests.ctx()) $$,
                                          :'flow_id', :'other_checkpoint')) ->> 'sqlstate',
          'FS006', 'another flow''s checkpoint is FS006');
select is(flowstate_tests.error_of(format($$ select flowstate.flow_recover_from_checkpoint(%L, null, null, flowstate_tests.ctx()) $$,
                                          :'flow_id')) ->> 'sqlstate',
          'FS006', 'a NULL checkpoint id is FS006');
select is(flowstate.flow_load_state(:'flow_id', flowstate_tests.ctx()), :'before'::jsonb, 'the flow is unchanged');
select is(flowstate_tests.audit_count(:'flow_id'), 2::bigint, 'no audit row was written for it');
select is(flowstate_tests.audit_count(:'other_id'), 2::bigint, 'nor for the other flow (its create and checkpoint only)');

select * from finish();
rollback;
