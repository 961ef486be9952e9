-- A checkpoint is an audited event that changes no state: flow_create_checkpoint returns
-- the new checkpoint's id, flow_version stays, one 'checkpoint' audit row is written at that
-- version (label: the checkpoint id), the snapshot is the flow's audited content, and the
-- loaded document lists it (id, phase, label, flow_version, created_at), oldest first.
begin;
\ir ../_helpers.sql
select plan(11);

select flowstate_tests.make_flow(p_versions => 2) as flow_id \gset
select flowstate.flow_load_state(:'flow_id', flowstate_tests.ctx()) as before \gset
select flowstate_tests.audit_count(:'flow_id') as audit_before \gset

set local role flowstate_app;
select flowstate.flow_create_checkpoint(:'flow_id', null, 'before mapping', flowstate_tests.ctx(1, 4)) as checkpoint_id \gset
reset role;
select flowstate.flow_load_state(:'flow_id', flowstate_tests.ctx()) as after \gset

select matches(:'checkpoint_id'::text, '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$', 'the id of the checkpoint is returned');
select is((:'after'::jsonb ->> 'flow_version')::int, 2, 'flow_version does not change');
select is(:'after'::jsonb - 'checkpoints', :'before'::jsonb - 'checkpoints', 'nothing else in the document changes');
select is(jsonb_array_length(:'after'::jsonb -> 'checkpoints'), 1, 'the document lists one checkpoint');
select is((:'after'::jsonb -> 'checkpoints' -> 0) - 'created_at',
          jsonb_build_object('id', :'checkpoint_id', 'phase', 'data_import', 'label', 'before mapping', 'flow_version', 2),
          'with its id, phase, label and version');
select matches(:'after'::jsonb -> 'checkpoints' -> 0 ->> 'created_at', '^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$',
               'and an ISO 8601 UTC creation time');
select is(flowstate_tests.audit_count(:'flow_id'), :audit_before + 1::bigint, 'one audit row is written');
select is((select jsonb_build_object('operation', operation, 'old_version', old_version, 'new_version', new_version,
                                     'label', label, 'actor_user_id', actor_user_id, 'changes', changes, 'snapshot', snapshot)
             from flowstate.audit_log where flow_id = :'flow_id' order by audit_id desc limit 1),
          jsonb_build_object('operation', 'checkpoint', 'old_version', 2, 'new_version', 2, 'label', :'checkpoint_id',
                             'actor_user_id', flowstate_tests.ctx(1, 4) ->> 'user_id', 'changes', null, 'snapshot', null),
          'a checkpoint row at version 2, labelled with the checkpoint id, by the context''s user');
select is((select snapshot from flowstate.checkpoints where checkpoint_id = :'checkpoint_id'),
          :'before'::jsonb - '{flow_version,updated_at,checkpoints}'::text[],
          'the checkpoint holds the whole audited content of the flow');

select flowstate.flow_save_state(:'flow_id', :'after'::jsonb || '{"state_data": {"step": 5}}', 2, flowstate_tests.ctx()) is not null as saved \gset
select flowstate.flow_create_checkpoint(:'flow_id', null, null, flowstate_tests.ctx()) as second_id \gset
select is(array(select c ->> 'id' from jsonb_array_elements(flowstate.flow_load_state(:'flow_id', flowstate_tests.ctx()) -> 'checkpoints') c),
          array[:'checkpoint_id', :'second_id'], 'a second checkpoint is listed after the first');
select is(flowstate.flow_load_state(:'flow_id', flowstate_tests.ctx()) -> 'checkpoints' -> 1 -> 'label', 'null'::jsonb,
          'a checkpoint without a label has label null');

select * from finish();
rollback;
