-- NULL unless the flow is this tenant's and paused: a flow never paused, one whose pause was
-- cleared, a missing one and another tenant's paused flow all load as NULL; a bad context is FS001.
begin;
\ir ../_helpers.sql
select plan(5);

select flowstate_tests.make_flow() as running \gset
select gen_random_uuid() as theirs \gset
set local role flowstate_app;
select flowstate.flow_record_step(:'theirs', 'review', '{}', 'review', flowstate_tests.ctx(2), p_feedback => '{"m": 1}') is not null as paused \gset

select is(flowstate.flow_load_pending_feedback(:'running', flowstate_tests.ctx()), null::jsonb, 'a flow that is not paused is NULL');
select is(flowstate.flow_load_pending_feedback(gen_random_uuid(), flowstate_tests.ctx()), null::jsonb, 'a missing flow is NULL');
select is(flowstate.flow_load_pending_feedback(:'theirs', flowstate_tests.ctx(1)), null::jsonb, 'another tenant''s paused flow is NULL');
select isnt(flowstate.flow_load_pending_feedback(:'theirs', flowstate_tests.ctx(2)), null::jsonb, 'its own tenant loads it');
select is(flowstate_tests.context_refusals(format($$ select flowstate.flow_load_pending_feedback(%L, %%s) $$, :'theirs')),
          array['FS001', 'FS001', 'FS001'], 'a malformed, non-object or (for the app role) NULL context is FS001');
reset role;

select * from finish();
rollback;
