-- The audit trigger is the only record of a DBA's direct edit, so a DBA (flowstate_admin,
-- who may UPDATE flowstate.flows) must not be able to skip it by setting the transaction-local
-- settings the flow_* functions use: whatever flowstate.operation says, a direct UPDATE of the
-- state is one more version and one more audit row, attributed to the DBA's role.
begin;
\ir ../_helpers.sql
select plan(6);

select flowstate_tests.make_flow(p_versions => 2) as flow_id \gset

set local role flowstate_admin;
set local flowstate.operation = 'checkpoint';
update flowstate.flows set state_data = '{"quietly": "changed"}' where flow_id = :'flow_id';
reset role;
select is(flowstate_tests.audit_count(:'flow_id'), 3::bigint, 'posing as a checkpoint, the edit is still audited');
select is((flowstate.flow_load_state(:'flow_id', flowstate_tests.ctx()) ->> 'flow_version')::int, 3,
          'and still raises the version');
select is((select actor_role from flowstate.audit_log where flow_id = :'flow_id' order by audit_id desc limit 1), 'flowstate_admin',
          'attributed to the DBA''s role');

select flowstate_tests.audit_count(:'flow_id') as audit_before,
       flowstate.flow_load_state(:'flow_id', flowstate_tests.ctx()) ->> 'flow_version' as version_before \gset
set local role flowstate_admin;
set local flowstate.operation = 'save';
set local flowstate.user_id = '00000000-0000-4000-c000-000000000099';
update flowstate.flows set state_data = '{"again": true}' where flow_id = :'flow_id';
reset role;
select is(flowstate_tests.audit_count(:'flow_id'), :audit_before + 1::bigint, 'posing as a save, the edit is audited');
select is((select actor_role from flowstate.audit_log where flow_id = :'flow_id' order by audit_id desc limit 1), 'flowstate_admin',
          'attributed to the DBA''s role');
select is(flowstate.flow_state_at(:'flow_id', :version_before + 1, flowstate_tests.ctx()) -> 'state_data', '{"again": true}'::jsonb,
          'and its content is in the history');

select * from finish();
rollback;
