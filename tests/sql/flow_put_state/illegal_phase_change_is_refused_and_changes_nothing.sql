-- A put is phase-checked like a save: it cannot skip a phase, drop a completed one or
-- leave a terminal phase (FS003), and a refused put leaves nothing behind.
begin;
\ir ../_helpers.sql
select plan(6);

select flowstate_tests.make_flow_at('field_mapping') as flow_id \gset
select flowstate_tests.make_flow_at('completed') as done_id \gset
set local role flowstate_app;
select flowstate.flow_load_state(:'flow_id', flowstate_tests.ctx()) as before \gset
select flowstate.flow_load_state(:'done_id', flowstate_tests.ctx()) as done_before \gset

select throws_ok(format($$ select flowstate.flow_put_state(%L, %L, 'm', flowstate_tests.ctx()) $$, :'flow_id',
                        flowstate_tests.doc(:'flow_id', 'asset_inventory', '{data_import,field_mapping}')),
                 'FS003', null, 'skipping data_cleansing by a put is FS003');
select throws_ok(format($$ select flowstate.flow_put_state(%L, %L, 'm', flowstate_tests.ctx()) $$, :'flow_id',
                        flowstate_tests.doc(:'flow_id')),
                 'FS003', null, 'dropping data_import from the completed phases by a put is FS003');
select throws_ok(format($$ select flowstate.flow_put_state(%L, %L, 'm', flowstate_tests.ctx()) $$, :'done_id',
                        flowstate_tests.doc(:'done_id')),
                 'FS003', null, 'restarting a completed flow by a put is FS003');
select is(flowstate.flow_load_state(:'flow_id', flowstate_tests.ctx()), :'before'::jsonb, 'the running flow is unchanged');
select is(flowstate.flow_load_state(:'done_id', flowstate_tests.ctx()), :'done_before'::jsonb, 'the completed flow is unchanged');
reset role;
select is(flowstate_tests.audit_count(:'flow_id') + flowstate_tests.audit_count(:'done_id'), 9::bigint,
          'no audit row was written (2 + 7 from setting them up)');

select * from finish();
rollback;
