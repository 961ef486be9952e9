-- The document of a reused id, however it is loaded (one flow, a batch, a cache probe),
-- lists the new flow's checkpoints only; a checkpoint the new flow takes is listed alone.
begin;
\ir ../_helpers.sql
\ir _reused_id.sql
select plan(6);

select * from flowstate_tests.reuse_flow_id() \gset
set local role flowstate_app;
select is(flowstate.flow_load_state(:'flow_id', flowstate_tests.ctx_b()) -> 'checkpoints', '[]'::jsonb,
          'B''s loaded document lists no checkpoint');
select is((select document -> 'checkpoints' from flowstate.flow_load_states(array[:'flow_id'::uuid], flowstate_tests.ctx_b())),
          '[]'::jsonb, 'nor does the batch loader');
select is(flowstate.flow_load_state_if_changed(:'flow_id', 0, flowstate_tests.ctx_b()) -> 'checkpoints', '[]'::jsonb,
          'nor the cache''s version probe');
select flowstate.flow_create_checkpoint(:'flow_id', null, 'B checkpoint', flowstate_tests.ctx_b()) as b_checkpoint \gset
select is(array(select c ->> 'label' from jsonb_array_elements(flowstate.flow_load_state(:'flow_id', flowstate_tests.ctx_b()) -> 'checkpoints') c),
          array['B checkpoint'], 'B''s own checkpoint is listed alone');
select is(array(select c ->> 'id' from jsonb_array_elements(flowstate.flow_load_state(:'flow_id', flowstate_tests.ctx_b()) -> 'checkpoints') c),
          array[:'b_checkpoint'], 'with its id');
select is(array(select label from flowstate.flow_history(:'flow_id', flowstate_tests.ctx_b(), p_operation => 'checkpoint')),
          array[:'b_checkpoint'], 'and its history holds that one checkpoint event');
reset role;

select * from finish();
rollback;
