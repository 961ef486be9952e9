-- The write functions raise the version in the same statement that writes their audit row,
-- and the owner's trigger leaves such updates to them. A DBA's UPDATE that raises the version
-- itself (or sets it anywhere) is no such write: it is audited as admin_update by the DBA's
-- role, at the version the database gives it, forged settings or not.
begin;
\ir ../_helpers.sql
select plan(4);

select flowstate_tests.make_flow(p_versions => 2) as flow_id \gset
set local role flowstate_admin;
select set_config('flowstate.operation', 'save', true),
       set_config('flowstate.user_id', '00000000-0000-4000-c000-000000000099', true) \gset
update flowstate.flows set flow_version = flow_version + 1, state_data = '{"raised": "by hand"}' where flow_id = :'flow_id';
update flowstate.flows set flow_version = 100, state_data = '{"set": "by hand"}' where flow_id = :'flow_id';
reset role;

select is(flowstate_tests.audit_count(:'flow_id'), 4::bigint, 'both updates are audited');
select results_eq(
  format($$ select operation::text, old_version, new_version, actor_user_id, actor_role
              from flowstate.audit_log where flow_id = %L order by audit_id offset 2 $$, :'flow_id'),
  $$ values ('admin_update', 2::bigint, 3::bigint, null::uuid, 'flowstate_admin'),
            ('admin_update', 3, 4, null, 'flowstate_admin') $$,
  'as admin_update by the DBA''s role, one version each, whatever the update or the settings said');
select is((flowstate.flow_load_state(:'flow_id', flowstate_tests.ctx()) ->> 'flow_version')::int, 4,
          'the stored version is the database''s');
select is(flowstate.flow_state_at(:'flow_id', 3, flowstate_tests.ctx()) -> 'state_data', '{"raised": "by hand"}'::jsonb,
          'and the content is in the history');

select * from finish();
rollback;
