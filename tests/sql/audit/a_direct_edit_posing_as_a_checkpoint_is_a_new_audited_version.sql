-- flow_create_checkpoint appends to the flow's checkpoints list without a new version (the
-- state did not change), by setting flowstate.operation = 'checkpoint'. A DBA who sets it by
-- hand and rewrites that list directly is not a checkpoint: the edit is a new version with an
-- admin_update audit row, like any other direct edit.
begin;
\ir ../_helpers.sql
select plan(4);

select flowstate_tests.make_flow(p_versions => 2) as flow_id \gset
select flowstate.flow_create_checkpoint(:'flow_id', null, 'real', flowstate_tests.ctx()) as checkpoint_id \gset
select flowstate_tests.audit_count(:'flow_id') as audit_before \gset

set local role flowstate_admin;
select set_config('flowstate.operation', 'checkpoint', true) \gset
update flowstate.flows set checkpoints = '[]' where flow_id = :'flow_id';
reset role;

select is(flowstate_tests.audit_count(:'flow_id'), :audit_before + 1::bigint, 'the rewrite of the list has an audit row');
select is((select operation || ' by ' || actor_role from flowstate.audit_log where flow_id = :'flow_id' order by audit_id desc limit 1),
          'admin_update by flowstate_admin', 'as admin_update by the DBA''s role');
select is((flowstate_tests.row_of(:'flow_id') ->> 'flow_version')::int, 3, 'and a new version');
select is((select count(*) from flowstate.audit_log where flow_id = :'flow_id' and operation = 'checkpoint'), 1::bigint,
          'only the real checkpoint reads as a checkpoint');

select * from finish();
rollback;
