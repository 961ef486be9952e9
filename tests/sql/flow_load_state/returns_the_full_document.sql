-- flow_load_state returns the whole current document, state_data included, with every
-- field a caller needs to save it back.
begin;
\ir ../_helpers.sql
select plan(5);

select flowstate_tests.make_flow(p_versions => 3) as flow_id \gset
set local role flowstate_app;
select flowstate.flow_load_state(:'flow_id', flowstate_tests.ctx()) as loaded \gset

select is(:'loaded'::jsonb -> 'state_data', '{"step": 2}'::jsonb, 'state_data is the last one saved');
select is((select array_agg(k order by k) from jsonb_object_keys(:'loaded'::jsonb) k),
          array['checkpoints', 'created_at', 'current_phase', 'flow_id', 'flow_type', 'flow_version', 'metadata',
                'phases_completed', 'state_data', 'status', 'updated_at'],
          'the document has every field of a running flow');
select is(:'loaded'::jsonb - '{created_at,updated_at,state_data}'::text[],
          jsonb_build_object('flow_id', :'flow_id', 'flow_type', 'discovery', 'flow_version', 3,
                             'current_phase', 'data_import', 'phases_completed', '[]'::jsonb, 'status', 'running',
                             'checkpoints', '[]'::jsonb, 'metadata', flowstate_tests.ctx()),
          'with the stored values');
select is(flowstate.flow_validate_state(:'loaded'), '{}'::text[], 'the loaded document is valid');
select is(flowstate.flow_load_state(p_flow_id => :'flow_id', p_context => flowstate_tests.ctx()), :'loaded'::jsonb,
          'named notation works with the documented parameter names');

select * from finish();
rollback;
