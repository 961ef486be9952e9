-- Creating a flow writes exactly one audit row: operation create, no old version or phase,
-- new version 1, the context's user and the calling role; the content is a full snapshot.
begin;
\ir ../_helpers.sql
select plan(4);

select gen_random_uuid() as flow_id \gset
set local role flowstate_app;
select flowstate.flow_save_state(:'flow_id', flowstate_tests.doc(:'flow_id'), null, flowstate_tests.ctx(1, 7)) is not null as created \gset
reset role;

select is(flowstate_tests.audit_count(:'flow_id'), 1::bigint, 'one audit row');
select is((select jsonb_build_object('operation', operation, 'old_version', old_version, 'new_version', new_version,
                                     'old_phase', old_phase, 'new_phase', new_phase, 'actor_user_id', actor_user_id,
                                     'actor_role', actor_role, 'label', label)
             from flowstate.audit_log where flow_id = :'flow_id'),
          jsonb_build_object('operation', 'create', 'old_version', null, 'new_version', 1, 'old_phase', null,
                             'new_phase', 'data_import', 'actor_user_id', flowstate_tests.ctx(1, 7) ->> 'user_id',
                             'actor_role', 'flowstate_app', 'label', null),
          'operation, versions, phases, user and role are recorded');
select is((select snapshot -> 'state_data' from flowstate.audit_log where flow_id = :'flow_id'), '{"step": 0}'::jsonb,
          'the first version is a full snapshot');
select is((select logged_at from flowstate.audit_log where flow_id = :'flow_id'), now(), 'logged at the time of the change');

select * from finish();
rollback;
