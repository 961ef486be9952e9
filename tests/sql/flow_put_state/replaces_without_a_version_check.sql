-- flow_put_state replaces an existing flow whatever its version (last writer wins): the
-- version still rises by exactly one per put, and the database owns it.
begin;
\ir ../_helpers.sql
select plan(5);

select flowstate_tests.make_flow(p_versions => 3) as flow_id \gset
set local role flowstate_app;

select is((flowstate.flow_put_state(:'flow_id', flowstate_tests.doc(:'flow_id', p_state_data => '{"n": "a"}')
                                                || '{"flow_version": 1}', 'step_a', flowstate_tests.ctx())
           ->> 'flow_version')::int,
          4, 'a put over version 3 (even claiming version 1) makes version 4');
select is((flowstate.flow_put_state(:'flow_id', flowstate_tests.doc(:'flow_id', p_state_data => '{"n": "b"}'), 'step_b',
                                    flowstate_tests.ctx()) ->> 'flow_version')::int,
          5, 'the next put makes version 5');
select is(flowstate.flow_load_state(:'flow_id', flowstate_tests.ctx()) -> 'state_data', '{"n": "b"}'::jsonb,
          'the last writer''s state_data is stored');
select is(flowstate.flow_put_state(:'flow_id', flowstate_tests.doc(:'flow_id', 'field_mapping', '{data_import}'), 'step_c',
                                   flowstate_tests.ctx()) ->> 'current_phase',
          'field_mapping', 'a put may take a legal phase step');
reset role;
select is(flowstate_tests.audit_count(:'flow_id'), 6::bigint, 'one audit row per put');

select * from finish();
rollback;
