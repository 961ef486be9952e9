-- Recovery restores the checkpoint's phase, completed phases and state_data as the flow's
-- next version with status recovered, and returns the whole document (state_data included),
-- which is what flow_load_state then returns. History is not rewritten: every earlier
-- version still rebuilds as it was saved, and the recovery is one 'recover' audit row
-- labelled with the checkpoint id.
begin;
\ir ../_helpers.sql
select plan(10);

create temporary table saved (version bigint primary key, document jsonb) on commit drop;
select gen_random_uuid() as flow_id \gset
insert into saved select 1, flowstate.flow_save_state(:'flow_id', flowstate_tests.doc(:'flow_id', p_state_data => '{"rows": 1}'), null,
                                                      flowstate_tests.ctx()) || '{"state_data": {"rows": 1}}';
insert into saved select 2, flowstate.flow_save_state(:'flow_id', flowstate_tests.doc(:'flow_id', p_state_data => '{"rows": 2, "keep": {"a": [1]}}'), 1,
                                                      flowstate_tests.ctx()) || '{"state_data": {"rows": 2, "keep": {"a": [1]}}}';
select flowstate.flow_create_checkpoint(:'flow_id', null, 'imported', flowstate_tests.ctx()) as checkpoint_id \gset
insert into saved select 3, flowstate.flow_transition_phase(:'flow_id', 'field_mapping', 2, flowstate_tests.ctx()) || '{"state_data": {"rows": 2, "keep": {"a": [1]}}}';
insert into saved select 4, flowstate.flow_save_state(:'flow_id', flowstate_tests.doc(:'flow_id', 'field_mapping', '{data_import}', '{"mapped": true}')
                                                      || '{"status": "paused"}', 3, flowstate_tests.ctx()) || '{"state_data": {"mapped": true}}';
insert into saved select 5, flowstate.flow_transition_phase(:'flow_id', 'failed', 4, flowstate_tests.ctx()) || '{"state_data": {"mapped": true}}';
select flowstate_tests.audit_count(:'flow_id') as audit_before \gset

set local role flowstate_app;
select flowstate.flow_recover_from_checkpoint(:'flow_id', :'checkpoint_id', 5, flowstate_tests.ctx()) as recovered \gset
reset role;

select is((:'recovered'::jsonb ->> 'flow_version')::int, 6, 'the restored state is a new version, 6');
select is(:'recovered'::jsonb -> 'state_data', '{"rows": 2, "keep": {"a": [1]}}'::jsonb, 'the checkpoint''s state_data is back');
select is(:'recovered'::jsonb ->> 'current_phase', 'data_import', 'its phase is back');
select is(:'recovered'::jsonb -> 'phases_completed', '[]'::jsonb, 'and its completed phases (recovery may remove some)');
select is(:'recovered'::jsonb ->> 'status', 'recovered', 'the status is recovered');
select ok(not :'recovered'::jsonb ? 'failed_phase', 'the flow is no longer failed');
select is(:'recovered'::jsonb, flowstate.flow_load_state(:'flow_id', flowstate_tests.ctx()), 'the whole stored document is returned');
select is((select jsonb_build_object('operation', operation, 'old_version', old_version, 'new_version', new_version,
                                     'old_phase', old_phase, 'new_phase', new_phase, 'label', label)
             from flowstate.audit_log where flow_id = :'flow_id' order by audit_id desc limit 1),
          jsonb_build_object('operation', 'recover', 'old_version', 5, 'new_version', 6, 'old_phase', 'failed',
                             'new_phase', 'data_import', 'label', :'checkpoint_id'),
          'one recover row from version 5 to 6, labelled with the checkpoint id');
select is(flowstate_tests.audit_count(:'flow_id'), :audit_before + 1::bigint, 'and only that row');
-- One transaction has one now(), so a checkpoint taken in it is never "before" a version;
-- compare without the checkpoints list.
select is_empty(format($$ select version from saved
                           where flowstate.flow_state_at(%L, version, flowstate_tests.ctx()) - 'checkpoints'
                                 is distinct from document - 'checkpoints' $$, :'flow_id'),
                'every earlier version still rebuilds exactly as it was saved');

select * from finish();
rollback;
