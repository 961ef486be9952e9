-- p_label (the CrewAI method name) is recorded in audit_log.label and flows.last_label,
-- on the put that creates a flow and on each put that replaces it.
begin;
\ir ../_helpers.sql
select plan(6);

select gen_random_uuid() as flow_id \gset
set local role flowstate_app;
select flowstate.flow_put_state(:'flow_id', flowstate_tests.doc(:'flow_id'), 'kickoff', flowstate_tests.ctx()) is not null as a \gset
select flowstate.flow_put_state(:'flow_id', flowstate_tests.doc(:'flow_id', p_state_data => '{"n": 2}'), 'research',
                                flowstate_tests.ctx()) is not null as b \gset
reset role;

select is(flowstate_tests.row_of(:'flow_id') ->> 'last_label', 'research', 'flows.last_label is the last put''s label');
select is(array(select label from flowstate.audit_log where flow_id = :'flow_id' order by audit_id),
          array['kickoff', 'research'], 'audit_log.label records each put''s label, in order');
select is(array(select operation::text from flowstate.audit_log where flow_id = :'flow_id' order by audit_id),
          array['create', 'put'], 'the first put is audited as a create, the next as a put');

set local role flowstate_app;
select flowstate.flow_put_state(:'flow_id', flowstate_tests.doc(:'flow_id', p_state_data => '{"n": 3}'), null,
                                flowstate_tests.ctx()) is not null as c \gset
select flowstate.flow_save_state(:'flow_id', flowstate_tests.doc(:'flow_id', p_state_data => '{"n": 4}'), 3,
                                 flowstate_tests.ctx()) is not null as d \gset
reset role;
select is((select label from flowstate.audit_log where flow_id = :'flow_id' and new_version = 3), null::text,
          'a put without a label records none');
select is((select label from flowstate.audit_log where flow_id = :'flow_id' and new_version = 4), null::text,
          'a save records no label');
select is(flowstate_tests.row_of(:'flow_id') ->> 'last_label', null::text, 'and clears last_label');

select * from finish();
rollback;
