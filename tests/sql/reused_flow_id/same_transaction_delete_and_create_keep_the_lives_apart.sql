-- Deleting a flow and creating its id again in one transaction gives both lives the same
-- timestamps (now()), and in one statement the same command too; neither may let the new
-- flow see the old one's history or checkpoints. A DBA's re-insert of the deleted row starts
-- a new flow: its checkpoints list and history counters start empty, whatever the row held.
begin;
\ir ../_helpers.sql
\ir _reused_id.sql
select plan(7);

select * from flowstate_tests.reuse_flow_id(p_backdate => false) \gset
select is((select count(distinct logged_at) from flowstate.audit_log where flow_id = :'flow_id'), 1::bigint,
          'both lives were logged at the same time');
set local role flowstate_app;
select is(array(select operation from flowstate.flow_history(:'flow_id', flowstate_tests.ctx_b())), '{create}'::text[],
          'B''s history is its creation only');
select is(flowstate.flow_state_at(:'flow_id', 1, flowstate_tests.ctx_b()), flowstate.flow_load_state(:'flow_id', flowstate_tests.ctx_b()),
          'B''s version 1 is B''s');
reset role;

-- One statement: a DBA replaces a flow by its own copy.
select flowstate_tests.make_flow(p_versions => 3) as copied_id \gset
select flowstate.flow_create_checkpoint(:'copied_id', null, 'old life', flowstate_tests.ctx()) is not null as checkpointed \gset
set local role flowstate_admin;
with gone as (delete from flowstate.flows where flow_id = :'copied_id' returning *)
insert into flowstate.flows select * from gone;
reset role;
select is(flowstate.flow_load_state(:'copied_id', flowstate_tests.ctx()) -> 'checkpoints', '[]'::jsonb,
          'the re-inserted flow lists no checkpoint of the deleted one');
select is(array(select row(operation, new_version, actor_role)::text from flowstate.flow_history(:'copied_id', flowstate_tests.ctx())),
          array[row('admin_insert', 1::bigint, 'flowstate_admin')::text], 'its history is its creation by the DBA');
select is(flowstate.flow_state_at(:'copied_id', 2, flowstate_tests.ctx()), null, 'the deleted flow''s versions are not its own');
select is((select row(history_bytes, history_changes)::text from flowstate.flows where flow_id = :'copied_id'), '(0,0)',
          'its history counters start at zero');

select * from finish();
rollback;
