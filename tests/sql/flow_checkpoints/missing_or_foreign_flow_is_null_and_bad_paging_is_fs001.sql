-- A missing flow and another tenant's are NULL, as for flow_load_state (even with a bad
-- p_limit: nothing about the flow is revealed). For this tenant's flow, p_limit below 1 or
-- NULL, and a p_after that is not one of this flow's checkpoints, are FS001; so is a
-- malformed context.
begin;
\ir ../_helpers.sql
select plan(8);

select flowstate_tests.make_flow() as flow_id \gset
select flowstate_tests.make_flow() as other \gset
select flowstate.flow_create_checkpoint(:'flow_id', null, 'mine', flowstate_tests.ctx()) as mine \gset
select flowstate.flow_create_checkpoint(:'other', null, 'other', flowstate_tests.ctx()) as theirs \gset
set local role flowstate_app;

select is(flowstate.flow_checkpoints(:'flow_id', flowstate_tests.ctx(2)), null, 'another tenant''s flow is NULL');
select is(flowstate.flow_checkpoints(gen_random_uuid(), flowstate_tests.ctx(), p_limit => 0), null, 'a missing flow is NULL');
select throws_ok(format($$ select flowstate.flow_checkpoints(%L, flowstate_tests.ctx(), p_limit => 0) $$, :'flow_id'),
                 'FS001', null, 'p_limit 0 is FS001');
select throws_ok(format($$ select flowstate.flow_checkpoints(%L, flowstate_tests.ctx(), p_limit => -5) $$, :'flow_id'),
                 'FS001', null, 'a negative p_limit is FS001');
select throws_ok(format($$ select flowstate.flow_checkpoints(%L, flowstate_tests.ctx(), p_limit => null) $$, :'flow_id'),
                 'FS001', null, 'a NULL p_limit is FS001');
select throws_ok(format($$ select flowstate.flow_checkpoints(%L, flowstate_tests.ctx(), %L) $$, :'flow_id', :'theirs'),
                 'FS001', null, 'another flow''s checkpoint as p_after is FS001');
select throws_ok(format($$ select flowstate.flow_checkpoints(%L, flowstate_tests.ctx(), %L) $$, :'flow_id', gen_random_uuid()),
                 'FS001', null, 'an unknown p_after is FS001');
select throws_ok(format($$ select flowstate.flow_checkpoints(%L, '{"user_id": 1}') $$, :'flow_id'),
                 'FS001', null, 'a malformed context is FS001');

select * from finish();
rollback;
