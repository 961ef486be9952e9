-- A save that moves a flow on legally (and every CrewAI step, which does so each time) is
-- written on the fast path: no full validation, no second lock and request id lookup, one
-- statement for the flow, its audit row and its request id. It stores what the slow path
-- stored: the new phases, status, no failed_phase, the audit row's phases, and the flow moved
-- between tallies. A move the rules refuse is still explained by the slow path (FS003) and
-- changes nothing.
begin;
\ir ../_helpers.sql
select plan(9);

-- Before any call: expressions compiled earlier in the session would not count calls.
set local track_functions = 'all';
select flowstate_tests.make_flow() as id \gset
select flowstate_tests.make_flow() as other \gset
select pg_stat_clear_snapshot();
select flowstate.flow_save_state(:'id', flowstate_tests.doc(:'id', 'field_mapping', '{data_import}', '{"step": 1}'), 1,
                                 flowstate_tests.ctx(), gen_random_uuid()) as saved \gset
select is_empty($$ select funcname from pg_stat_xact_user_functions
                    where schemaname = 'flowstate' and funcname in ('_validation_errors', '_request_result', '_request_lookup') $$,
                'a legal phase change neither validates in full nor looks its request id up again');
select is((select to_jsonb(f) - '{state_data,created_at,updated_at,generation,history_bytes,history_changes,checkpoints,metadata,parent_flow_id,parent_version,compacted_version}'::text[]
             from flowstate.flows f where f.flow_id = :'id'),
          jsonb_build_object('flow_id', :'id', 'flow_type', 'discovery', 'client_account_id', flowstate_tests.ctx() ->> 'client_account_id',
                             'engagement_id', flowstate_tests.ctx() ->> 'engagement_id', 'user_id', flowstate_tests.ctx() ->> 'user_id',
                             'flow_version', 2, 'current_phase', 'field_mapping', 'phases_completed', '["data_import"]'::jsonb,
                             'status', 'running', 'failed_phase', null, 'last_label', null, 'external_id', null),
          'the flow is stored in its new phase, the phase it left completed');
select is((select array[a.operation, a.old_phase, a.new_phase, a.new_version::text] from flowstate.audit_log a
            where a.flow_id = :'id' and a.new_version = 2),
          array['save', 'data_import', 'field_mapping', '2'], 'its audit row names both phases');
select is((select count(distinct x.cmin::text) from (
             select a.cmin from flowstate.audit_log a where a.flow_id = :'id' and a.new_version = 2
             union all select r.cmin from flowstate.request_ids r where r.flow_id = :'id') x),
          1::bigint, 'the audit row and the request id were written by one statement');
select is((select array_agg(t.current_phase || '=' || t.flows order by t.current_phase)
             from (select current_phase, sum(flows) as flows from flowstate.flow_tallies
                    where client_account_id = (flowstate_tests.ctx() ->> 'client_account_id')::uuid group by 1) t),
          array['data_import=1', 'field_mapping=1'], 'the flow moved between tallies');

-- A CrewAI step, every one a phase change of an open type, takes the same path.
select flowstate.flow_record_step(gen_random_uuid(), 'plan', '{"a": 1}', 'plan', flowstate_tests.ctx()) ->> 'flow_id' as step \gset
select pg_stat_clear_snapshot();
select is(flowstate.flow_record_step(:'step', 'research', '{"a": 2}', 'research', flowstate_tests.ctx(), 1) ->> 'current_phase',
          'research', 'a CrewAI step moves its flow on');
select is_empty($$ select funcname, calls from pg_stat_xact_user_functions
                    where schemaname = 'flowstate' and funcname = '_validation_errors' and calls > 1 $$,
                'without a full validation (the creation before it had one)');

-- Skipping a phase: the rules refuse it, as the slow path explains.
select flowstate_tests.row_of(:'id') as before \gset
select is(flowstate_tests.outcome_of(format($$ select flowstate.flow_save_state(%L, %L, 2, flowstate_tests.ctx()) $$,
            :'id', flowstate_tests.doc(:'id', 'asset_inventory', '{data_import,field_mapping}', '{"step": 2}'))) ->> 'sqlstate',
          'FS003', 'an illegal phase change is refused');
select is(flowstate_tests.row_of(:'id'), :'before'::jsonb, 'and changes nothing');

select * from finish();
rollback;
