-- Direct inserts and deletes by a DBA are audited as what they are, whatever operation, user
-- and label the session claims: admin_insert and admin_delete, by the DBA's real role, with
-- no application user and no label. A flow deleted and inserted again directly starts its
-- history at that admin_insert.
begin;
\ir ../_helpers.sql
select plan(4);

select flowstate_tests.make_flow(p_versions => 2) as doomed \gset

set local role flowstate_admin;
select set_config('flowstate.operation', 'save', true),
       set_config('flowstate.user_id', '00000000-0000-4000-c000-000000000099', true),
       set_config('flowstate.label', 'forged', true) \gset
delete from flowstate.flows where flow_id = :'doomed';
select set_config('flowstate.operation', 'import', true) \gset
insert into flowstate.flows (flow_id, flow_type, client_account_id, engagement_id, user_id, flow_version,
                             current_phase, phases_completed, status, state_data)
values (:'doomed', 'discovery', gen_random_uuid(), gen_random_uuid(), gen_random_uuid(), 1, 'data_import', '{}', 'running', '{"new": true}');
reset role;

select is((select jsonb_build_object('operation', operation, 'actor_role', actor_role, 'actor_user_id', actor_user_id, 'label', label)
             from flowstate.audit_log where flow_id = :'doomed' order by audit_id desc limit 1),
          '{"operation": "admin_insert", "actor_role": "flowstate_admin", "actor_user_id": null, "label": null}'::jsonb,
          'a direct insert is admin_insert by the DBA''s role, with no user and no label');
select is((select jsonb_build_object('operation', operation, 'actor_role', actor_role, 'actor_user_id', actor_user_id, 'label', label)
             from flowstate.audit_log where flow_id = :'doomed' order by audit_id desc offset 1 limit 1),
          '{"operation": "admin_delete", "actor_role": "flowstate_admin", "actor_user_id": null, "label": null}'::jsonb,
          'a direct delete is admin_delete by the DBA''s role, with no user and no label');
select is((select snapshot -> 'state_data' from flowstate.audit_log where flow_id = :'doomed' and operation = 'admin_delete'),
          '{"step": 1}'::jsonb, 'the delete keeps the deleted content');
select is(flowstate.flow_state_at(:'doomed', 1, null) -> 'state_data', '{"new": true}'::jsonb,
          'the flow inserted again rebuilds from its admin_insert, not from the deleted flow''s history');

select * from finish();
rollback;
