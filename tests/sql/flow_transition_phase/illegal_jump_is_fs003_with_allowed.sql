-- A move the graph does not allow is FS003; DETAIL names the flow, both phases and the
-- allowed next phases. Unknown and empty phase names are refused the same way. Nothing changes.
begin;
\ir ../_helpers.sql
select plan(7);

select flowstate_tests.make_flow() as flow_id \gset
set local role flowstate_app;
select flowstate.flow_load_state(:'flow_id', flowstate_tests.ctx()) as before \gset

select flowstate_tests.outcome_of(format($$ select flowstate.flow_transition_phase(%L, 'asset_inventory', 1, flowstate_tests.ctx()) $$,
                                       :'flow_id')) as e \gset
select is(:'e'::jsonb ->> 'sqlstate', 'FS003', 'data_import -> asset_inventory is FS003');
select is((:'e'::jsonb -> 'detail') - 'reason',
          jsonb_build_object('flow_id', :'flow_id', 'from_phase', 'data_import', 'to_phase', 'asset_inventory',
                             'allowed', '["field_mapping", "failed"]'::jsonb),
          'DETAIL: flow, from_phase, to_phase and the allowed next phases');
select ok(length(:'e'::jsonb -> 'detail' ->> 'reason') > 0, 'DETAIL.reason explains it');
select throws_ok(format($$ select flowstate.flow_transition_phase(%L, 'no_such_phase', 1, flowstate_tests.ctx()) $$, :'flow_id'),
                 'FS003', null, 'an unknown phase is FS003');
select throws_ok(format($$ select flowstate.flow_transition_phase(%L, 'data_import', 1, flowstate_tests.ctx()) $$, :'flow_id'),
                 'FS003', null, 'moving to the current phase is FS003');
select is(flowstate.flow_load_state(:'flow_id', flowstate_tests.ctx()), :'before'::jsonb, 'the stored flow is unchanged');
reset role;
select is(flowstate_tests.audit_count(:'flow_id'), 1::bigint, 'no audit row was written');

select * from finish();
rollback;
