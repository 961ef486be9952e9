-- Another tenant's paused flow counts as missing: clearing it returns false, as for a missing
-- id, and its pause stays; a bad context is FS001 and clears nothing.
begin;
\ir ../_helpers.sql
select plan(4);

select gen_random_uuid() as theirs \gset
set local role flowstate_app;
select flowstate.flow_record_step(:'theirs', 'review', '{}', 'review', flowstate_tests.ctx(2), p_feedback => '{"m": 1}') is not null as paused \gset
select flowstate.flow_load_pending_feedback(:'theirs', flowstate_tests.ctx(2)) as before \gset

select is(flowstate.flow_clear_pending_feedback(:'theirs', flowstate_tests.ctx(1)), false, 'another tenant''s pause: false');
select is(flowstate.flow_clear_pending_feedback(gen_random_uuid(), flowstate_tests.ctx(1)), false, 'as for a missing flow');
select is(flowstate_tests.context_refusals(format($$ select flowstate.flow_clear_pending_feedback(%L, %%s) $$, :'theirs')),
          array['FS001', 'FS001', 'FS001'], 'a malformed, non-object or (for the app role) NULL context is FS001');
select is(flowstate.flow_load_pending_feedback(:'theirs', flowstate_tests.ctx(2)), :'before'::jsonb, 'the pause is still there');
reset role;

select * from finish();
rollback;
