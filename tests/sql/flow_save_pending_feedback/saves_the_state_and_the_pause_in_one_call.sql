-- One call puts the flow's state (as flow_put_state: created or replaced without a version
-- check, audited with p_label) and records the pause with its feedback context; a second
-- pause of the same flow replaces the first. Returns the stored document without state_data.
begin;
\ir ../_helpers.sql
select plan(9);

select gen_random_uuid() as flow_id \gset
set local role flowstate_app;
select flowstate.flow_save_pending_feedback(:'flow_id', flowstate_tests.doc(:'flow_id', p_state_data => '{"draft": 1}'),
                                            '{"message": "ok?"}', 'review', flowstate_tests.ctx(1, 3), 'run-7') as saved \gset
select is(:'saved'::jsonb, flowstate.flow_load_state(:'flow_id', flowstate_tests.ctx()) - 'state_data',
          'the result is the stored document without state_data');
select is(flowstate.flow_load_state(:'flow_id', flowstate_tests.ctx()) -> 'state_data', '{"draft": 1}'::jsonb, 'the state is stored');
select is(flowstate.flow_load_pending_feedback(:'flow_id', flowstate_tests.ctx()) -> 'feedback', '{"message": "ok?"}'::jsonb,
          'the pause is recorded with its feedback context');
reset role;
select is((select jsonb_build_object('operation', operation, 'label', label) from flowstate.audit_log where flow_id = :'flow_id'),
          '{"operation": "create", "label": "review"}'::jsonb, 'the state was audited once, with the label');
select is((select created_by from flowstate.pending_feedback where flow_id = :'flow_id'),
          (flowstate_tests.ctx(1, 3) ->> 'user_id')::uuid, 'the pause records the context''s user');
select is(flowstate_tests.row_of(:'flow_id') ->> 'external_id', 'run-7', 'p_external_id is kept on the flow');

set local role flowstate_app;
select flowstate.flow_save_pending_feedback(:'flow_id', flowstate_tests.doc(:'flow_id', p_state_data => '{"draft": 2}'),
                                            '{"message": "again?"}', 'review', flowstate_tests.ctx()) ->> 'flow_version' as version \gset
select is(:'version'::text, '2', 'pausing again replaces the state, one version up, with no version check');
select is(flowstate.flow_load_pending_feedback(:'flow_id', flowstate_tests.ctx()) -> 'feedback', '{"message": "again?"}'::jsonb,
          'and replaces the feedback context');
reset role;
select is((select count(*) from flowstate.pending_feedback where flow_id = :'flow_id'), 1::bigint, 'a flow has one pause at most');

select * from finish();
rollback;
