-- After a DBA corrupts a flow with a direct UPDATE, flow_handle_corrupted archives the
-- document exactly as flow_load_state returned it into flowstate.quarantine (never deleting
-- it), with the validation errors found in it and the flow's tenant, then resets the flow to its type's initial
-- phase with empty state_data as the next version, and returns {quarantine_id, errors,
-- document}. (It also NOTIFYs flowstate_alerts; delivery happens at commit, which a pgTAP
-- transaction never reaches: the Python tests LISTEN for it.)
begin;
\ir ../_helpers.sql
select plan(14);

select flowstate_tests.make_flow_at('data_cleansing') as flow_id \gset
select flowstate.flow_save_state(:'flow_id', flowstate_tests.doc(:'flow_id', 'data_cleansing', '{data_import,field_mapping}',
                                                                 '{"rows": 10, "nested": {"a": [1, 2]}}'), 3,
                                 flowstate_tests.ctx()) is not null as saved \gset
select flowstate.flow_create_checkpoint(:'flow_id', null, 'good', flowstate_tests.ctx()) is not null as checkpointed \gset
update flowstate.flows
   set current_phase = 'no_such_phase', phases_completed = '{data_import,data_import}', state_data = '{"rows": "garbage"}'
 where flow_id = :'flow_id';
select flowstate.flow_load_state(:'flow_id', flowstate_tests.ctx()) as corrupted \gset

set local role flowstate_app;
select flowstate.flow_handle_corrupted(:'flow_id', flowstate_tests.ctx(1, 5)) as result \gset
reset role;

select is((select count(*) from flowstate.quarantine where flow_id = :'flow_id'), 1::bigint, 'one document is quarantined');
select is((select document from flowstate.quarantine where flow_id = :'flow_id'), :'corrupted'::jsonb,
          'exactly as flow_load_state returned it');
select is((select flow_version from flowstate.quarantine where flow_id = :'flow_id'), 5::bigint, 'at the corrupted version');
select is((select errors from flowstate.quarantine where flow_id = :'flow_id'), flowstate.flow_validate_state(:'corrupted'),
          'with the problems validation finds in it');
select cmp_ok(cardinality((select errors from flowstate.quarantine where flow_id = :'flow_id')), '>=', 2,
              'the unknown phase and the duplicate among them');
select is((select archived_by from flowstate.quarantine where flow_id = :'flow_id'), (flowstate_tests.ctx(1, 5) ->> 'user_id')::uuid,
          'archived by the context''s user');
select is((select (client_account_id, engagement_id)::text from flowstate.quarantine where flow_id = :'flow_id'),
          ((flowstate_tests.ctx() ->> 'client_account_id')::uuid, (flowstate_tests.ctx() ->> 'engagement_id')::uuid)::text,
          'under the flow''s tenant');
select is(:'result'::jsonb ->> 'quarantine_id', (select quarantine_id::text from flowstate.quarantine where flow_id = :'flow_id'),
          'the result names the quarantine row');
select is(:'result'::jsonb -> 'errors', to_jsonb((select errors from flowstate.quarantine where flow_id = :'flow_id')),
          'and lists the errors');
select is(flowstate.flow_load_state(:'flow_id', flowstate_tests.ctx()) - '{updated_at,checkpoints,created_at,metadata}'::text[],
          jsonb_build_object('flow_id', :'flow_id', 'flow_type', 'discovery', 'flow_version', 6, 'current_phase', 'data_import',
                             'phases_completed', '[]'::jsonb, 'status', 'running', 'state_data', '{}'::jsonb),
          'the flow is reset: initial phase, nothing completed, empty state_data, running, next version');
select is(:'result'::jsonb -> 'document', flowstate.flow_load_state(:'flow_id', flowstate_tests.ctx()),
          'the result holds the reset document');
select is(flowstate.flow_validate_state(:'result'::jsonb -> 'document'), '{}'::text[], 'which is valid');
select is(jsonb_array_length(:'result'::jsonb -> 'document' -> 'checkpoints'), 1, 'checkpoints survive the reset');
select is(flowstate.flow_state_at(:'flow_id', 5, flowstate_tests.ctx()) - 'checkpoints', :'corrupted'::jsonb - 'checkpoints',
          'the corrupted version is still in the history');

select * from finish();
rollback;
