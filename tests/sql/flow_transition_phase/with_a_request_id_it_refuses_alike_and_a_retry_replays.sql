-- A transition with a request id looks the id up under the flow's row lock, before the version
-- check: it still refuses what a transition without one refuses (a version below 1 is FS001
-- even for a missing flow, a missing flow FS004, a stale version FS002), changing nothing, while
-- a retry of the call that made the version stale returns that call's result.
begin;
\ir ../_helpers.sql
select plan(6);

select flowstate_tests.make_flow() as flow_id, gen_random_uuid() as missing, gen_random_uuid() as request \gset
set local role flowstate_app;
select throws_ok(format($$ select flowstate.flow_transition_phase(%L, 'field_mapping', 0, flowstate_tests.ctx(), gen_random_uuid()) $$,
                        :'missing'), 'FS001', null, 'version 0 is FS001 even for a missing flow');
select throws_ok(format($$ select flowstate.flow_transition_phase(%L, 'field_mapping', 1, flowstate_tests.ctx(), gen_random_uuid()) $$,
                        :'missing'), 'FS004', null, 'a missing flow is FS004');
select flowstate.flow_transition_phase(:'flow_id', 'field_mapping', 1, flowstate_tests.ctx(), :'request') as first \gset
select flowstate.flow_load_state(:'flow_id', flowstate_tests.ctx()) as before \gset
select throws_ok(format($$ select flowstate.flow_transition_phase(%L, 'field_mapping', 1, flowstate_tests.ctx(), gen_random_uuid()) $$,
                        :'flow_id'), 'FS002', null, 'another call with the old version is FS002');
select is(flowstate.flow_transition_phase(:'flow_id', 'field_mapping', 1, flowstate_tests.ctx(), :'request'), :'first'::jsonb,
          'the retry of the first call, with the same old version, returns its result');
select is(flowstate.flow_load_state(:'flow_id', flowstate_tests.ctx()), :'before'::jsonb, 'neither changed the flow');
reset role;
select is(flowstate_tests.audit_count(:'flow_id'), 2::bigint, 'one audit row for the creation, one for the transition');

select * from finish();
rollback;
