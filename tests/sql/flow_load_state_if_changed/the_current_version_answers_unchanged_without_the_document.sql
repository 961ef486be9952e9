-- When the caller already holds the current version, the answer is only
-- {"flow_version": v, "unchanged": true}: no document, no state_data.
begin;
\ir ../_helpers.sql
select plan(2);

select flowstate_tests.make_flow(p_versions => 3) as flow_id \gset
set local role flowstate_app;
select is(flowstate.flow_load_state_if_changed(:'flow_id', 3, flowstate_tests.ctx()), '{"flow_version": 3, "unchanged": true}'::jsonb,
          'the current version is answered with unchanged');
select flowstate.flow_save_state(:'flow_id', flowstate_tests.doc(:'flow_id'), 3, flowstate_tests.ctx()) is not null as saved \gset
select is(flowstate.flow_load_state_if_changed(:'flow_id', 3, flowstate_tests.ctx()) ->> 'flow_version', '4',
          'after another save the same known version gets the new document');
reset role;

select * from finish();
rollback;
