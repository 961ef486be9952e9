-- With a NULL expected version the transition skips the version check and is computed
-- from the stored state; the version still rises by exactly one.
begin;
\ir ../_helpers.sql
select plan(3);

select flowstate_tests.make_flow(p_versions => 4) as flow_id \gset
set local role flowstate_app;

select flowstate.flow_transition_phase(:'flow_id', 'field_mapping', null, flowstate_tests.ctx()) as moved \gset
select is((:'moved'::jsonb ->> 'flow_version')::int, 5, 'version 4 becomes 5 without naming a version');
select is(:'moved'::jsonb -> 'phases_completed', '["data_import"]'::jsonb, 'the stored current phase was completed');
select is((flowstate.flow_transition_phase(:'flow_id', 'data_cleansing', null, flowstate_tests.ctx()) ->> 'flow_version')::int,
          6, 'and again');

select * from finish();
rollback;
