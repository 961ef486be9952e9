-- The flow_* functions tell the audit trigger what they are doing through transaction-local
-- settings (flowstate.operation, flowstate.user_id, flowstate.label). A DBA who sets them by
-- hand before a direct UPDATE gains nothing: the row is audited as admin_update by the DBA's
-- real role, with no application user and no label, whatever the session holds.
begin;
\ir ../_helpers.sql
select plan(4);

select flowstate_tests.make_flow(p_versions => 2) as flow_id \gset

set local role flowstate_admin;
select set_config('flowstate.operation', 'save', true),
       set_config('flowstate.user_id', '00000000-0000-4000-c000-000000000099', true),
       set_config('flowstate.label', 'an ordinary save', true) \gset
update flowstate.flows set state_data = '{"quietly": "changed"}' where flow_id = :'flow_id';
reset role;

select is(flowstate_tests.audit_count(:'flow_id'), 3::bigint, 'the edit has one audit row');
select is((select jsonb_build_object('operation', operation, 'actor_role', actor_role,
                                     'actor_user_id', actor_user_id, 'label', label, 'new_version', new_version)
             from flowstate.audit_log where flow_id = :'flow_id' order by audit_id desc limit 1),
          '{"operation": "admin_update", "actor_role": "flowstate_admin", "actor_user_id": null, "label": null, "new_version": 3}'::jsonb,
          'it reads as what it is: admin_update by flowstate_admin, no user, no label, a new version');
select is((select count(*) from flowstate.audit_log
            where flow_id = :'flow_id' and (actor_user_id = '00000000-0000-4000-c000-000000000099' or label = 'an ordinary save')),
          0::bigint, 'the forged user and label appear nowhere');

-- The same as a transition, the operation a phase change would be audited as.
set local role flowstate_admin;
select set_config('flowstate.operation', 'transition', true) \gset
update flowstate.flows set current_phase = 'field_mapping', phases_completed = '{data_import}' where flow_id = :'flow_id';
reset role;
select is((select operation::text from flowstate.audit_log where flow_id = :'flow_id' order by audit_id desc limit 1),
          'admin_update', 'a forged transition is an admin_update too');

select * from finish();
rollback;
