-- A flow in a terminal phase refuses steps (FS003) until recovered; another tenant's id is
-- FS005, as for any creation of an existing id; both change nothing.
begin;
\ir ../_helpers.sql
select plan(5);

select gen_random_uuid() as id \gset
select flowstate_tests.make_flow(p_tenant => 2) as theirs \gset
set local role flowstate_app;
select flowstate.flow_record_step(:'id', 'a', '{}', 'a', flowstate_tests.ctx()) is not null as ok \gset
select flowstate.flow_transition_phase(:'id', 'failed', null, flowstate_tests.ctx()) is not null as ok \gset
select flowstate.flow_load_state(:'id', flowstate_tests.ctx()) as before \gset
select flowstate.flow_load_state(:'theirs', flowstate_tests.ctx(2)) as theirs_before \gset

select throws_ok(format($$ select flowstate.flow_record_step(%L, 'b', '{}', 'b', flowstate_tests.ctx()) $$, :'id'),
                 'FS003', null, 'a step on a failed flow is FS003');
select is(flowstate.flow_load_state(:'id', flowstate_tests.ctx()), :'before'::jsonb, 'the failed flow is unchanged');
select throws_ok(format($$ select flowstate.flow_record_step(%L, 'b', '{}', 'b', flowstate_tests.ctx(1)) $$, :'theirs'),
                 'FS005', null, 'a step on another tenant''s id is FS005');
select is(flowstate.flow_load_state(:'theirs', flowstate_tests.ctx(2)), :'theirs_before'::jsonb, 'their flow is unchanged');
select is(flowstate.flow_load_state(:'theirs', flowstate_tests.ctx(1)), null::jsonb, 'and still invisible to this tenant');

select * from finish();
rollback;
