-- A save cannot drop a completed phase (only recovery or reset may): moving back along the
-- graph is FS003 with from_phase/to_phase/allowed, and nothing changes.
begin;
\ir ../_helpers.sql
select plan(6);

select flowstate_tests.make_flow_at('data_cleansing') as flow_id \gset
set local role flowstate_app;
select flowstate.flow_load_state(:'flow_id', flowstate_tests.ctx()) as before \gset

select flowstate_tests.outcome_of(format($$ select flowstate.flow_save_state(%L, %L, 3, flowstate_tests.ctx()) $$,
                                       :'flow_id', flowstate_tests.doc(:'flow_id', 'field_mapping', '{data_import}'))) as e \gset
select is(:'e'::jsonb ->> 'sqlstate', 'FS003', 'going back to field_mapping (losing it as completed) is FS003');
select is((:'e'::jsonb -> 'detail') - '{flow_id,reason}'::text[],
          '{"from_phase": "data_cleansing", "to_phase": "field_mapping", "allowed": ["asset_inventory", "failed"]}'::jsonb,
          'DETAIL names both phases and the allowed next ones');
select is(flowstate_tests.outcome_of(format($$ select flowstate.flow_save_state(%L, %L, 3, flowstate_tests.ctx()) $$,
                                          :'flow_id', flowstate_tests.doc(:'flow_id'))) ->> 'sqlstate',
          'FS003', 'going back to the initial phase with nothing completed is FS003');
select is(flowstate_tests.outcome_of(format($$ select flowstate.flow_put_state(%L, %L, 'reset', flowstate_tests.ctx()) $$,
                                          :'flow_id', flowstate_tests.doc(:'flow_id'))) ->> 'sqlstate',
          'FS003', 'a put cannot do it either');
select is(flowstate.flow_load_state(:'flow_id', flowstate_tests.ctx()), :'before'::jsonb, 'the stored flow is unchanged');
reset role;
select is(flowstate_tests.audit_count(:'flow_id'), 3::bigint, 'no audit row was written');

select * from finish();
rollback;
