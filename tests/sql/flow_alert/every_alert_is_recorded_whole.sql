-- Recovery of a failed flow and corruption handling each record one alert with what an
-- operator needs: the restored checkpoint, or the quarantine row, the archived version and the
-- first problems found. Nothing is cut short to fit NOTIFY's 8000 bytes any more: the
-- notification carries only the event and the alert id, the details stay in the table.
begin;
\ir ../_helpers.sql
select plan(5);

select flowstate_tests.make_flow() as flow_id \gset
select flowstate.flow_create_checkpoint(:'flow_id', null, 'cp', flowstate_tests.ctx()) as checkpoint_id \gset
select flowstate.flow_transition_phase(:'flow_id', 'failed', null, flowstate_tests.ctx()) is not null as failed \gset
select flowstate.flow_recover_failed(:'flow_id', flowstate_tests.ctx()) is not null as recovered \gset
select repeat('é', 5000) as long_phase \gset
-- A DBA may allow long phase names; then the problem quoting one is past NOTIFY's 8000 bytes.
update flowstate.settings set value = 20000 where name = 'max_name_bytes';
update flowstate.flows set current_phase = :'long_phase' where flow_id = :'flow_id';
select flowstate.flow_handle_corrupted(:'flow_id', flowstate_tests.ctx()) as report \gset

select is(array(select event from flowstate.alerts where flow_id = :'flow_id' order by created_at),
          '{flow_recovered,corrupted_state_reset}'::text[], 'one alert per recovery and per reset, in order');
select is((select flowstate.flow_alert(alert_id, flowstate_tests.ctx()) ->> 'restored' from flowstate.alerts
            where flow_id = :'flow_id' and event = 'flow_recovered'),
          :'checkpoint_id', 'a recovery names the checkpoint it restored');
select alert_id as reset_alert from flowstate.alerts where flow_id = :'flow_id' and event = 'corrupted_state_reset' \gset
select is(flowstate.flow_alert(:'reset_alert', flowstate_tests.ctx()) - '{alert_id,event,flow_id,flow_type,client_account_id,engagement_id,actor_user_id,actor_role,at}'::text[],
          jsonb_build_object('quarantine_id', :'report'::jsonb -> 'quarantine_id', 'archived_version', 4,
                             'flow_version', 5, 'current_phase', 'data_import',
                             'errors', jsonb_path_query_array(:'report'::jsonb, '$.errors[0 to 4]')),
          'a reset names the quarantine row, the archived version and the first five problems');
select ok(strpos((select details::text from flowstate.alerts where alert_id = :'reset_alert'), :'long_phase') > 0,
          'a 10 KB phase name is kept whole in the problems');
select is((select count(*) from flowstate.alerts a where a.flow_id = :'flow_id' and a.details ? 'details_dropped'), 0::bigint,
          'and no details are dropped');

select * from finish();
rollback;
