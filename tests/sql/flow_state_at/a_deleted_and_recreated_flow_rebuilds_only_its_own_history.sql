-- Flow ids can come back: a DBA deletes a flow (audited as admin_delete) and the same id is
-- created again (a deterministic CrewAI id, say). The new flow's versions must rebuild from
-- its own trail only, never mixing in change records of the deleted flow's same versions.
begin;
\ir ../_helpers.sql
select plan(4);

select gen_random_uuid() as flow_id \gset
-- Change records even for a small state.
update flowstate.settings set value = 1 where name = 'audit_diff_min_bytes';
select jsonb_build_object('pad', repeat('x', 80)) as big \gset

select flowstate.flow_save_state(:'flow_id', flowstate_tests.doc(:'flow_id', p_state_data => :'big'::jsonb || '{"old": 1}'),
                                 null, flowstate_tests.ctx()) is not null as created \gset
select flowstate.flow_save_state(:'flow_id', flowstate_tests.doc(:'flow_id', p_state_data => :'big'::jsonb || '{"old": 2}'),
                                 1, flowstate_tests.ctx()) is not null as saved \gset
delete from flowstate.flows where flow_id = :'flow_id';

select flowstate.flow_save_state(:'flow_id', flowstate_tests.doc(:'flow_id', p_state_data => :'big'::jsonb || '{"new": 1}'),
                                 null, flowstate_tests.ctx()) as v1 \gset
select flowstate.flow_save_state(:'flow_id', flowstate_tests.doc(:'flow_id', p_state_data => :'big'::jsonb || '{"new": 2}'),
                                 1, flowstate_tests.ctx()) as v2 \gset

select is((select count(*) from flowstate.audit_log where flow_id = :'flow_id' and new_version = 2 and changes is not null),
          2::bigint, 'both lives of the id have a change record for version 2');
select is(flowstate.flow_state_at(:'flow_id', 1, flowstate_tests.ctx()),
          :'v1'::jsonb || jsonb_build_object('state_data', :'big'::jsonb || '{"new": 1}'),
          'version 1 of the new flow rebuilds exactly');
select is(flowstate.flow_state_at(:'flow_id', 2, flowstate_tests.ctx()),
          :'v2'::jsonb || jsonb_build_object('state_data', :'big'::jsonb || '{"new": 2}'),
          'version 2 of the new flow rebuilds exactly, without the deleted flow''s change');
select is(flowstate.flow_state_at(:'flow_id', 2, flowstate_tests.ctx()),
          flowstate.flow_load_state(:'flow_id', flowstate_tests.ctx()),
          'the current version rebuilds to the loaded document');

select * from finish();
rollback;
