-- completed and failed are terminal: a save cannot move a flow out of them (FS003, with
-- an empty DETAIL.allowed), and nothing changes.
begin;
\ir ../_helpers.sql
select plan(8);

select flowstate_tests.make_flow_at('completed') as done_id \gset
select flowstate_tests.make_flow_at('failed') as failed_id \gset
set local role flowstate_app;
select flowstate.flow_load_state(:'done_id', flowstate_tests.ctx()) as done_before \gset
select flowstate.flow_load_state(:'failed_id', flowstate_tests.ctx()) as failed_before \gset

select flowstate_tests.outcome_of(format($$ select flowstate.flow_save_state(%L, %L, 7, flowstate_tests.ctx()) $$, :'done_id',
                                       flowstate_tests.doc(:'done_id', 'tech_debt_analysis',
                                         '{data_import,field_mapping,data_cleansing,asset_inventory,dependency_analysis}'))) as e \gset
select is(:'e'::jsonb ->> 'sqlstate', 'FS003', 'moving a completed flow back is FS003');
select is((:'e'::jsonb -> 'detail') - '{flow_id,reason}'::text[],
          '{"from_phase": "completed", "to_phase": "tech_debt_analysis", "allowed": []}'::jsonb,
          'DETAIL: nothing is allowed after completed');
select is(flowstate_tests.outcome_of(format($$ select flowstate.flow_save_state(%L, %L, 7, flowstate_tests.ctx()) $$, :'done_id',
                                          flowstate_tests.doc(:'done_id', 'failed',
                                            '{data_import,field_mapping,data_cleansing,asset_inventory,dependency_analysis,tech_debt_analysis}')))
            ->> 'sqlstate',
          'FS003', 'a completed flow cannot fail either');

select flowstate_tests.outcome_of(format($$ select flowstate.flow_save_state(%L, %L, 2, flowstate_tests.ctx()) $$, :'failed_id',
                                       flowstate_tests.doc(:'failed_id'))) as e \gset
select is(:'e'::jsonb ->> 'sqlstate', 'FS003', 'moving a failed flow back to its failed phase is FS003');
select is((:'e'::jsonb -> 'detail') - '{flow_id,reason}'::text[],
          '{"from_phase": "failed", "to_phase": "data_import", "allowed": []}'::jsonb,
          'DETAIL: a failed flow leaves only through recovery or reset');

select is(flowstate.flow_load_state(:'done_id', flowstate_tests.ctx()), :'done_before'::jsonb, 'the completed flow is unchanged');
select is(flowstate.flow_load_state(:'failed_id', flowstate_tests.ctx()), :'failed_before'::jsonb, 'the failed flow is unchanged');
reset role;
select is(flowstate_tests.audit_count(:'done_id') + flowstate_tests.audit_count(:'failed_id'), 9::bigint,
          'no audit row was written (7 + 2 from setting them up)');

select * from finish();
rollback;
