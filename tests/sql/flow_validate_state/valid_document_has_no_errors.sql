-- A valid document yields an empty array, with or without the optional fields a loaded
-- document carries; validation writes nothing.
begin;
\ir ../_helpers.sql
select plan(4);

select gen_random_uuid() as flow_id \gset
set local role flowstate_app;

select is(flowstate.flow_validate_state(flowstate_tests.doc(:'flow_id')), '{}'::text[], 'the minimal document is valid');
select is(flowstate.flow_validate_state(flowstate_tests.doc(:'flow_id', 'dependency_analysis',
            '{data_import,field_mapping,data_cleansing,asset_inventory}') || jsonb_build_object(
            'flow_type', 'discovery', 'flow_version', 3, 'status', 'paused', 'created_at', '2026-01-31T12:00:00Z',
            'updated_at', '2026-01-31 13:00:00.123456+01:00', 'checkpoints', '[{"id": "x"}]'::jsonb,
            'metadata', flowstate_tests.ctx() || '{"source": "test"}')),
          '{}'::text[], 'a full document with every optional field is valid');
select is(flowstate.flow_validate_state(flowstate_tests.doc(:'flow_id', 'failed', '{data_import}')
                                        || '{"status": "failed", "failed_phase": "field_mapping"}'),
          '{}'::text[], 'a failed document naming its failed phase is valid');
select is(flowstate.flow_validate_state(p_state => flowstate_tests.doc(:'flow_id')), '{}'::text[],
          'named notation works with the documented parameter name');

select * from finish();
rollback;
