-- A plain save cannot skip a phase of the graph: it is checked like a transition and
-- refused with FS003 (DETAIL: from_phase, to_phase, allowed), changing nothing.
begin;
\ir ../_helpers.sql
select plan(7);

select flowstate_tests.make_flow() as flow_id \gset
set local role flowstate_app;
select flowstate.flow_load_state(:'flow_id', flowstate_tests.ctx()) as before \gset

-- data_import -> data_cleansing, skipping field_mapping.
select flowstate_tests.outcome_of(format($$ select flowstate.flow_save_state(%L, %L, 1, flowstate_tests.ctx()) $$,
                                       :'flow_id', flowstate_tests.doc(:'flow_id', 'data_cleansing', '{data_import}'))) as e \gset
select is(:'e'::jsonb ->> 'sqlstate', 'FS003', 'skipping field_mapping by a save is FS003');
select is((:'e'::jsonb -> 'detail') - '{flow_id,reason}'::text[],
          '{"from_phase": "data_import", "to_phase": "data_cleansing", "allowed": ["field_mapping", "failed"]}'::jsonb,
          'DETAIL names the stored phase, the requested one and the allowed next phases');
select is(flowstate_tests.outcome_of(
            format($$ select flowstate.flow_save_state(%L, %L, 1, flowstate_tests.ctx()) $$, :'flow_id',
                   flowstate_tests.doc(:'flow_id', 'completed',
                                       '{data_import,field_mapping,data_cleansing,asset_inventory,dependency_analysis}'))) ->> 'sqlstate',
          'FS003', 'jumping to completed past a missing phase is FS003');
select is(flowstate_tests.outcome_of(
            format($$ select flowstate.flow_save_state(%L, %L, 1, flowstate_tests.ctx()) $$, :'flow_id',
                   flowstate_tests.doc(:'flow_id', 'asset_inventory', '{data_import,data_cleansing,field_mapping}'))) ->> 'sqlstate',
          'FS003', 'several steps listed out of order are FS003');
select is(flowstate.flow_load_state(:'flow_id', flowstate_tests.ctx()), :'before'::jsonb, 'the stored flow is unchanged');
select is(flowstate.flow_transition_phase(:'flow_id', 'field_mapping', 1, flowstate_tests.ctx()) ->> 'current_phase',
          'field_mapping', 'the flow can still take the legal step');
reset role;
select is(flowstate_tests.audit_count(:'flow_id'), 2::bigint, 'only the creation and the legal step were audited');

select * from finish();
rollback;
