-- Transitioning a flow that does not exist, or one of another tenant, is FS004 with the
-- same DETAIL shape; the other tenant's flow is unchanged. A malformed context is FS001.
begin;
\ir ../_helpers.sql
select plan(7);

select gen_random_uuid() as missing \gset
select flowstate_tests.make_flow(p_tenant => 2) as theirs \gset
set local role flowstate_app;
select flowstate.flow_load_state(:'theirs', flowstate_tests.ctx(2)) as before \gset

select flowstate_tests.outcome_of(format($$ select flowstate.flow_transition_phase(%L, 'field_mapping', null, flowstate_tests.ctx(1)) $$,
                                       :'missing')) as e_missing \gset
select flowstate_tests.outcome_of(format($$ select flowstate.flow_transition_phase(%L, 'field_mapping', null, flowstate_tests.ctx(1)) $$,
                                       :'theirs')) as e_theirs \gset
select is(:'e_missing'::jsonb ->> 'sqlstate', 'FS004', 'a missing flow is FS004');
select is(:'e_theirs'::jsonb ->> 'sqlstate', 'FS004', 'another tenant''s flow is FS004');
select is(:'e_missing'::jsonb -> 'detail', jsonb_build_object('flow_id', :'missing'), 'DETAIL names the missing flow');
select is(:'e_theirs'::jsonb -> 'detail', jsonb_build_object('flow_id', :'theirs'), 'the foreign flow''s DETAIL has the same shape');
select throws_ok(format($$ select flowstate.flow_transition_phase(%L, 'field_mapping', null, '{}') $$, :'theirs'),
                 'FS001', null, 'a malformed context is FS001');
select is(flowstate.flow_load_state(:'theirs', flowstate_tests.ctx(2)), :'before'::jsonb, 'the other tenant''s flow is unchanged');
reset role;
select is(flowstate_tests.audit_count(:'theirs'), 1::bigint, 'no audit row was written');

select * from finish();
rollback;
