-- A checkpoint's phase must be the current one or a completed one: an unknown phase, a phase
-- the flow has not reached, 'failed' or an empty name is FS001, as is a malformed context;
-- each refusal writes no checkpoint and no audit row and leaves the document as it was.
begin;
\ir ../_helpers.sql
select plan(9);

select flowstate_tests.make_flow_at('field_mapping') as flow_id \gset
select flowstate.flow_load_state(:'flow_id', flowstate_tests.ctx()) as before \gset
select flowstate_tests.audit_count(:'flow_id') as audit_before \gset

select is(flowstate_tests.error_of(format($$ select flowstate.flow_create_checkpoint(%L, 'no_such_phase', null, flowstate_tests.ctx()) $$,
                                          :'flow_id')) ->> 'sqlstate', 'FS001', 'an unknown phase is FS001');
select ok(jsonb_array_length(flowstate_tests.error_of(format($$ select flowstate.flow_create_checkpoint(%L, 'no_such_phase', null, flowstate_tests.ctx()) $$,
                                                             :'flow_id')) -> 'detail' -> 'errors') > 0,
          'with DETAIL listing the problem');
select throws_ok(format($$ select flowstate.flow_create_checkpoint(%L, 'asset_inventory', null, flowstate_tests.ctx()) $$, :'flow_id'),
                 'FS001', null, 'a phase not reached yet is FS001');
select throws_ok(format($$ select flowstate.flow_create_checkpoint(%L, 'failed', null, flowstate_tests.ctx()) $$, :'flow_id'),
                 'FS001', null, 'failed, when the flow has not failed, is FS001');
select throws_ok(format($$ select flowstate.flow_create_checkpoint(%L, '', null, flowstate_tests.ctx()) $$, :'flow_id'),
                 'FS001', null, 'an empty phase is FS001');
select throws_ok(format($$ select flowstate.flow_create_checkpoint(%L, null, null, '{"user_id": 5}') $$, :'flow_id'),
                 'FS001', null, 'a malformed context is FS001');
select is((select count(*) from flowstate.checkpoints where flow_id = :'flow_id'), 0::bigint, 'no checkpoint was written');
select is(flowstate_tests.audit_count(:'flow_id'), :audit_before::bigint, 'no audit row was written');
select is(flowstate.flow_load_state(:'flow_id', flowstate_tests.ctx()), :'before'::jsonb, 'the document is unchanged');

select * from finish();
rollback;
