-- The generation that ties a flow to its records is the database's: a DBA who inserts a flow
-- with the deleted flow's generation, or updates a flow's generation (posing as a checkpoint
-- or not), gets a flow of its own life all the same, and it sees nothing of the deleted one.
begin;
\ir ../_helpers.sql
\ir _reused_id.sql
select plan(4);

select * from flowstate_tests.reuse_flow_id() \gset
select generation as a_generation from flowstate.audit_log where flow_id = :'flow_id' and operation = 'admin_delete' \gset
select generation as b_generation from flowstate.flows where flow_id = :'flow_id' \gset

set local role flowstate_admin;
update flowstate.flows set generation = :a_generation where flow_id = :'flow_id';
reset role;
select is((select generation from flowstate.flows where flow_id = :'flow_id'), :'b_generation'::bigint,
          'an update keeps the flow''s generation');
set local role flowstate_admin;
select set_config('flowstate.operation', 'checkpoint', true) as posing \gset
update flowstate.flows set generation = :a_generation where flow_id = :'flow_id';
select set_config('flowstate.operation', '', true) as posing \gset
reset role;
select is((select generation from flowstate.flows where flow_id = :'flow_id'), :'b_generation'::bigint,
          'also when the session poses as flow_create_checkpoint');

set local role flowstate_admin;
delete from flowstate.flows where flow_id = :'flow_id';
insert into flowstate.flows (flow_id, generation, flow_type, client_account_id, engagement_id, user_id, flow_version,
                             current_phase, phases_completed, status, state_data)
values (:'flow_id', :a_generation, 'crewai', (flowstate_tests.ctx() ->> 'client_account_id')::uuid,
        (flowstate_tests.ctx() ->> 'engagement_id')::uuid, (flowstate_tests.ctx() ->> 'user_id')::uuid, 1, 'x', '{}', 'running', '{}');
reset role;
select ok((select generation from flowstate.flows where flow_id = :'flow_id') not in (:a_generation, :b_generation),
          'an insert gets a generation of its own, whatever it names');
select is(array(select operation from flowstate.flow_history(:'flow_id', flowstate_tests.ctx())), '{admin_insert}'::text[],
          'and A''s tenant, whose flow the DBA meant to bring back, sees none of the deleted flows'' records');

select * from finish();
rollback;
