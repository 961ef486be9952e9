-- A save may move several legal steps along the graph at once (phases_completed then
-- walks the graph from the initial phase): one new version, one audit row.
begin;
\ir ../_helpers.sql
select plan(8);

select flowstate_tests.make_flow() as flow_id \gset
set local role flowstate_app;

select flowstate.flow_save_state(:'flow_id', flowstate_tests.doc(:'flow_id', 'asset_inventory',
                                   '{data_import,field_mapping,data_cleansing}'), 1, flowstate_tests.ctx()) as saved \gset
select is(:'saved'::jsonb ->> 'current_phase', 'asset_inventory', 'data_import -> asset_inventory in one save is accepted');
select is(:'saved'::jsonb -> 'phases_completed', '["data_import", "field_mapping", "data_cleansing"]'::jsonb,
          'the three phases passed are completed, in order');
select is((:'saved'::jsonb ->> 'flow_version')::int, 2, 'as one new version');
select is(:'saved'::jsonb ->> 'status', 'running', 'still running');

select flowstate.flow_save_state(:'flow_id', flowstate_tests.doc(:'flow_id', 'completed',
                                   '{data_import,field_mapping,data_cleansing,asset_inventory,dependency_analysis,tech_debt_analysis}'),
                                 2, flowstate_tests.ctx()) as saved \gset
select is(:'saved'::jsonb ->> 'current_phase', 'completed', 'and on to completed in a second save');
select is(:'saved'::jsonb ->> 'status', 'completed', 'status follows the terminal phase');
select is(flowstate.flow_load_state(:'flow_id', flowstate_tests.ctx()) - '{state_data}'::text[], :'saved'::jsonb,
          'the stored document is the returned one');
reset role;
select is(flowstate_tests.audit_count(:'flow_id'), 3::bigint, 'one audit row per save');

select * from finish();
rollback;
