-- Without a request id a write pays nothing for them: the helpers are inlined CASE
-- expressions (no function of the request id family is called) and nothing is stored.
begin;
\ir ../_helpers.sql
select plan(2);

set local track_functions = 'all';
select flowstate_tests.make_flow() as id \gset
select flowstate.flow_create_checkpoint(:'id', null, 'c', flowstate_tests.ctx()) as checkpoint \gset
select flowstate.flow_transition_phase(:'id', 'field_mapping', 1, flowstate_tests.ctx()) is not null as ok \gset
select flowstate.flow_put_state(:'id', flowstate_tests.doc(:'id', 'field_mapping', '{data_import}'), null, flowstate_tests.ctx())
  is not null as ok \gset
select flowstate.flow_recover_from_checkpoint(:'id', :'checkpoint', null, flowstate_tests.ctx()) is not null as ok \gset
select flowstate.flow_recover_failed(:'id', flowstate_tests.ctx()) is not null as ok \gset
select flowstate.flow_handle_corrupted(:'id', flowstate_tests.ctx()) is not null as ok \gset
select gen_random_uuid() as stepped \gset
select flowstate.flow_record_step(:'stepped', 'a', '{}', 'a', flowstate_tests.ctx()) is not null as ok \gset
select gen_random_uuid() as batched \gset
select flowstate.flow_save_states(jsonb_build_array(jsonb_build_object('flow_id', :'batched', 'state', flowstate_tests.doc(:'batched'))),
                                  flowstate_tests.ctx()) is not null as ok \gset
select flowstate.flow_save_pending_feedback(:'id', flowstate_tests.doc(:'id'), '{}', 'ask', flowstate_tests.ctx()) is not null as ok \gset
select flowstate.flow_clear_pending_feedback(:'id', flowstate_tests.ctx()) as ok \gset

select is_empty($$ select funcname from pg_stat_xact_user_functions
                    where schemaname = 'flowstate' and funcname like '\_request\_%' $$,
                'no request id function was called');
select is_empty(format($$ select from flowstate.request_ids where flow_id in (%L, %L, %L) $$, :'id', :'stepped', :'batched'),
                'nothing was remembered');

select * from finish();
rollback;
