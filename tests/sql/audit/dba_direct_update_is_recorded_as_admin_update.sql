-- A DBA's direct UPDATE of flowstate.flows (no flow_* function involved) is audited as
-- admin_update with the DBA's role and no application user, even right after a flow_*
-- call in the same transaction; a direct DELETE is audited as admin_delete with the content.
begin;
\ir ../_helpers.sql
select plan(5);

select flowstate_tests.make_flow(p_versions => 2) as flow_id \gset
set local role flowstate_admin;
update flowstate.flows set state_data = '{"fixed by": "dba"}' where flow_id = :'flow_id';
reset role;

select is(flowstate_tests.audit_count(:'flow_id'), 3::bigint, 'one more audit row');
select is((select jsonb_build_object('operation', operation, 'actor_role', actor_role, 'actor_user_id', actor_user_id)
             from flowstate.audit_log where flow_id = :'flow_id' order by audit_id desc limit 1),
          '{"operation": "admin_update", "actor_role": "flowstate_admin", "actor_user_id": null}'::jsonb,
          'recorded as admin_update by flowstate_admin, with no application user');

-- Right after an application call in the same transaction, the next direct edit is still the DBA's.
select flowstate.flow_transition_phase(:'flow_id', 'field_mapping', null, flowstate_tests.ctx()) is not null as moved \gset
update flowstate.flows set metadata = '{"note": "checked"}' where flow_id = :'flow_id';
select is((select jsonb_build_object('operation', operation, 'actor_role', actor_role, 'actor_user_id', actor_user_id)
             from flowstate.audit_log where flow_id = :'flow_id' order by audit_id desc limit 1),
          jsonb_build_object('operation', 'admin_update', 'actor_role', current_user, 'actor_user_id', null),
          'a direct edit after a flow_* call in the same transaction is still admin_update');

delete from flowstate.flows where flow_id = :'flow_id';
select is((select operation from flowstate.audit_log where flow_id = :'flow_id' order by audit_id desc limit 1), 'admin_delete',
          'a direct DELETE is audited as admin_delete');
select is((select snapshot -> 'state_data' from flowstate.audit_log where flow_id = :'flow_id' order by audit_id desc limit 1),
          '{"fixed by": "dba"}'::jsonb, 'with the deleted content');

select * from finish();
rollback;
