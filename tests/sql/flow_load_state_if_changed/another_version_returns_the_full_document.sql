-- When the caller's known version is not the current one (older, newer, or NULL: nothing
-- known), the answer is the current document, as flow_load_state returns it.
begin;
\ir ../_helpers.sql
select plan(4);

select flowstate_tests.make_flow(p_versions => 3) as flow_id \gset
set local role flowstate_app;
select flowstate.flow_load_state(:'flow_id', flowstate_tests.ctx()) as current \gset

select is(flowstate.flow_load_state_if_changed(:'flow_id', 2, flowstate_tests.ctx()), :'current'::jsonb,
          'an older known version gets the current document');
select is(flowstate.flow_load_state_if_changed(:'flow_id', 99, flowstate_tests.ctx()), :'current'::jsonb,
          'so does a version the flow never had');
select is(flowstate.flow_load_state_if_changed(:'flow_id', null, flowstate_tests.ctx()), :'current'::jsonb,
          'and NULL (nothing known)');
select is(:'current'::jsonb -> 'state_data', '{"step": 2}'::jsonb, 'state_data included');
reset role;

select * from finish();
rollback;
