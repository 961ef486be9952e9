-- p_phase NULL means the current phase; a completed phase is accepted too (the checkpoint
-- is labelled with it; the snapshot is still the whole current state).
begin;
\ir ../_helpers.sql
select plan(4);

select flowstate_tests.make_flow_at('data_cleansing') as flow_id \gset
select flowstate.flow_create_checkpoint(:'flow_id', null, 'now', flowstate_tests.ctx()) as current_id \gset
select flowstate.flow_create_checkpoint(:'flow_id', 'data_import', 'earlier', flowstate_tests.ctx()) as completed_id \gset
select flowstate.flow_create_checkpoint(:'flow_id', 'data_cleansing', 'named', flowstate_tests.ctx()) as named_id \gset

select is((select phase from flowstate.checkpoints where checkpoint_id = :'current_id'), 'data_cleansing',
          'a NULL phase is the current phase');
select is((select phase from flowstate.checkpoints where checkpoint_id = :'completed_id'), 'data_import',
          'a completed phase is accepted');
select is((select phase from flowstate.checkpoints where checkpoint_id = :'named_id'), 'data_cleansing',
          'the current phase named explicitly is accepted');
select is(array(select c ->> 'phase' from jsonb_array_elements(flowstate.flow_load_state(:'flow_id', flowstate_tests.ctx()) -> 'checkpoints') c),
          array['data_cleansing', 'data_import', 'data_cleansing'], 'the document lists them with their phases, oldest first');

select * from finish();
rollback;
