-- A put on an id that another tenant holds cannot replace that flow: to this tenant the
-- flow does not exist, so the put is a creation of an existing id (FS005, flow ids are
-- global), and neither tenant's data changes.
begin;
\ir ../_helpers.sql
select plan(5);

select flowstate_tests.make_flow(p_tenant => 2) as theirs \gset
set local role flowstate_app;
select flowstate.flow_load_state(:'theirs', flowstate_tests.ctx(2)) as before \gset

select flowstate_tests.outcome_of(format($$ select flowstate.flow_put_state(%L, %L, 'm', flowstate_tests.ctx(1)) $$, :'theirs',
                                       flowstate_tests.doc(:'theirs', p_state_data => '{"stolen": true}'))) as e \gset
select is(:'e'::jsonb ->> 'sqlstate', 'FS005', 'a put on another tenant''s id is FS005, like any creation of an existing id');
select is(:'e'::jsonb -> 'detail', jsonb_build_object('flow_id', :'theirs'), 'DETAIL names the flow only');
select is(flowstate.flow_load_state(:'theirs', flowstate_tests.ctx(2)), :'before'::jsonb, 'the other tenant''s flow is unchanged');
select is(flowstate.flow_load_state(:'theirs', flowstate_tests.ctx(1)), null::jsonb, 'and still invisible to this tenant');
reset role;
select is(flowstate_tests.audit_count(:'theirs'), 1::bigint, 'no audit row was written');

select * from finish();
rollback;
