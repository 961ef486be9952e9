-- A closed type cannot re-enter a completed phase (FS003), and nothing changes.
begin;
\ir ../_helpers.sql
select plan(4);

select flowstate_tests.make_flow_at('data_cleansing') as flow_id \gset
set local role flowstate_app;
select flowstate.flow_load_state(:'flow_id', flowstate_tests.ctx()) as before \gset

select flowstate_tests.outcome_of(format($$ select flowstate.flow_transition_phase(%L, 'field_mapping', 3, flowstate_tests.ctx()) $$,
                                       :'flow_id')) as e \gset
select is(:'e'::jsonb ->> 'sqlstate', 'FS003', 'going back to the completed field_mapping is FS003');
select is(:'e'::jsonb -> 'detail' -> 'allowed', '["asset_inventory", "failed"]'::jsonb, 'DETAIL.allowed lists the way forward');
select is(flowstate.flow_load_state(:'flow_id', flowstate_tests.ctx()), :'before'::jsonb, 'the stored flow is unchanged');
reset role;
select is(flowstate_tests.audit_count(:'flow_id'), 3::bigint, 'no audit row was written');

select * from finish();
rollback;
