-- A DBA's direct UPDATE is audited as admin_update with no application user and no label,
-- even when it follows, in the same transaction, a call that labelled its own audit row
-- (a put's method name, a recovery's checkpoint id, a reset's quarantine id): the label of
-- one operation must not leak onto the next.
begin;
\ir ../_helpers.sql
select plan(4);

select flowstate_tests.make_flow(p_versions => 1) as flow_id \gset
select flowstate.flow_put_state(:'flow_id', flowstate_tests.doc(:'flow_id', p_state_data => '{"x": 1}'), 'my_method',
                                flowstate_tests.ctx()) is not null as put \gset
update flowstate.flows set state_data = '{"dba": 1}' where flow_id = :'flow_id';
select is((select jsonb_build_object('operation', operation, 'label', label, 'actor_user_id', actor_user_id)
             from flowstate.audit_log where flow_id = :'flow_id' order by audit_id desc limit 1),
          '{"operation": "admin_update", "label": null, "actor_user_id": null}'::jsonb,
          'a direct edit after a put carries no label');

select flowstate.flow_create_checkpoint(:'flow_id', null, null, flowstate_tests.ctx()) as checkpoint_id \gset
select flowstate.flow_recover_from_checkpoint(:'flow_id', :'checkpoint_id', null, flowstate_tests.ctx()) is not null as recovered \gset
update flowstate.flows set state_data = '{"dba": 2}' where flow_id = :'flow_id';
select is((select jsonb_build_object('operation', operation, 'label', label)
             from flowstate.audit_log where flow_id = :'flow_id' order by audit_id desc limit 1),
          '{"operation": "admin_update", "label": null}'::jsonb,
          'a direct edit after a recovery carries no label');

update flowstate.flows set current_phase = 'bogus' where flow_id = :'flow_id';
select flowstate.flow_handle_corrupted(:'flow_id', flowstate_tests.ctx()) is not null as reset \gset
update flowstate.flows set state_data = '{"dba": 3}' where flow_id = :'flow_id';
select is((select jsonb_build_object('operation', operation, 'label', label)
             from flowstate.audit_log where flow_id = :'flow_id' order by audit_id desc limit 1),
          '{"operation": "admin_update", "label": null}'::jsonb,
          'a direct edit after a reset carries no label');

select is((select count(*) from flowstate.audit_log where flow_id = :'flow_id' and operation = 'admin_update' and actor_user_id is not null),
          0::bigint, 'no direct edit is attributed to an application user');

select * from finish();
rollback;
