-- flow_fork makes a new flow at version 1 holding the given version's state (phase, completed
-- phases, status, state_data, metadata), in the parent's tenant, created by the caller. Its
-- lineage is in its columns, its document ("forked_from", also when rebuilt from history),
-- its fork audit row, and an event in the parent's history that changes no version. The
-- parent is untouched otherwise, and the fork lives on like any flow.
begin;
\ir ../_helpers.sql
\ir ../_lifecycle.sql
select plan(14);

-- The parent: four versions, moved to field_mapping at version 3, with metadata.
select flowstate_tests.make_flow(p_versions => 2) as parent \gset
select flowstate.flow_save_state(:'parent', flowstate_tests.doc(:'parent', 'field_mapping', '{data_import}', '{"step": 2}')
                                 || '{"metadata": {"team": "red"}}', 2, flowstate_tests.ctx()) is not null as moved \gset
select flowstate.flow_save_state(:'parent', flowstate_tests.doc(:'parent', 'field_mapping', '{data_import}', '{"step": 3}'), 3,
                                 flowstate_tests.ctx()) is not null as saved \gset
select flowstate.flow_state_at(:'parent', 3, flowstate_tests.ctx()) as at_3,
       flowstate.flow_load_state(:'parent', flowstate_tests.ctx()) as parent_before,
       gen_random_uuid() as child \gset

set local role flowstate_app;
select flowstate.flow_fork(:'parent', 3, :'child', flowstate_tests.ctx(1, 5)) as fork \gset
reset role;

select is(:'fork'::jsonb ->> 'flow_id', :'child', 'the fork has the id asked for');
select is(:'fork'::jsonb - '{flow_id,flow_version,created_at,updated_at,checkpoints,forked_from,metadata}'::text[],
          :'at_3'::jsonb - '{flow_id,flow_version,created_at,updated_at,checkpoints,metadata}'::text[],
          'with version 3''s flow type, phase, completed phases, status and state_data');
select is(:'fork'::jsonb -> 'metadata', (:'at_3'::jsonb -> 'metadata') || jsonb_build_object('user_id', flowstate_tests.ctx(1, 5) ->> 'user_id'),
          'and its metadata, in the parent''s tenant, created by the caller');
select is((:'fork'::jsonb ->> 'flow_version')::int, 1, 'at version 1');
select is(:'fork'::jsonb -> 'forked_from', jsonb_build_object('flow_id', :'parent', 'flow_version', 3), 'its document names its parent and version');
select is((select row(parent_flow_id, parent_version)::text from flowstate.flows where flow_id = :'child'), row(:'parent'::uuid, 3)::text,
          'so do its columns');
select is(flowstate.flow_load_state(:'child', flowstate_tests.ctx()), :'fork'::jsonb, 'it loads as returned');
select is(flowstate.flow_state_at(:'child', 1, flowstate_tests.ctx()), :'fork'::jsonb, 'and rebuilds from its history as returned');
select is((select jsonb_build_object('operation', operation, 'new_version', new_version, 'label', label, 'actor', actor_user_id)
             from flowstate.flow_history(:'child', flowstate_tests.ctx())),
          jsonb_build_object('operation', 'fork', 'new_version', 1, 'label', format('fork of %s version 3', :'parent'),
                             'actor', flowstate_tests.ctx(1, 5) ->> 'user_id'),
          'its history starts with a fork row naming the parent and version');
select is((select jsonb_build_object('operation', operation, 'old_version', old_version, 'new_version', new_version, 'label', label)
             from flowstate.flow_history(:'parent', flowstate_tests.ctx()) order by audit_id desc limit 1),
          jsonb_build_object('operation', 'forked', 'old_version', 4, 'new_version', 4, 'label', 'fork of version 3'),
          'the parent''s history records that version 3 was forked, without a new version');
select is(flowstate.flow_load_state(:'parent', flowstate_tests.ctx()), :'parent_before'::jsonb, 'the parent is unchanged');
select is(flowstate.flow_state_at(:'parent', 4, flowstate_tests.ctx()), :'parent_before'::jsonb,
          'and its current version still rebuilds to it (the event is not a version)');

-- The fork lives on: saved back as loaded (forked_from included), then moved on.
set local role flowstate_app;
select is((flowstate.flow_save_state(:'child', flowstate.flow_load_state(:'child', flowstate_tests.ctx()), 1, flowstate_tests.ctx())
           ->> 'flow_version')::int, 2, 'the fork''s document saves back as loaded');
select is(flowstate.flow_transition_phase(:'child', 'data_cleansing', 2, flowstate_tests.ctx()) -> 'forked_from',
          jsonb_build_object('flow_id', :'parent', 'flow_version', 3), 'and moves on, keeping its lineage');
reset role;

select * from finish();
rollback;
