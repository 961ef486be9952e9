-- Creating (NULL expected version) an id that exists is FS005, also when the flow belongs
-- to another tenant (flow ids are global); neither flow changes.
begin;
\ir ../_helpers.sql
select plan(10);

select flowstate_tests.make_flow(p_versions => 2, p_tenant => 1) as mine \gset
select flowstate_tests.make_flow(p_versions => 1, p_tenant => 2) as theirs \gset
set local role flowstate_app;
select flowstate.flow_load_state(:'mine', flowstate_tests.ctx(1)) as mine_before \gset
select flowstate.flow_load_state(:'theirs', flowstate_tests.ctx(2)) as theirs_before \gset

select throws_ok(
  format($$ select flowstate.flow_save_state(%L, flowstate_tests.doc(%L, p_state_data => '{"x": 1}'), null,
                                             flowstate_tests.ctx(1)) $$, :'mine', :'mine'),
  'FS005', null, 'creating an id of the same tenant is FS005');
select is(flowstate_tests.outcome_of(
            format($$ select flowstate.flow_save_state(%L, flowstate_tests.doc(%L), null, flowstate_tests.ctx(1)) $$,
                   :'mine', :'mine')) -> 'detail',
          jsonb_build_object('flow_id', :'mine'), 'DETAIL names the flow');
select throws_ok(
  format($$ select flowstate.flow_save_state(%L, flowstate_tests.doc(%L, p_state_data => '{"x": 1}'), null,
                                             flowstate_tests.ctx(1)) $$, :'theirs', :'theirs'),
  'FS005', null, 'creating an id that another tenant holds is FS005 too');
select is(flowstate_tests.outcome_of(
            format($$ select flowstate.flow_save_state(%L, flowstate_tests.doc(%L), null, flowstate_tests.ctx(1)) $$,
                   :'theirs', :'theirs')) -> 'detail',
          jsonb_build_object('flow_id', :'theirs'), 'with the same DETAIL shape');

select is(flowstate.flow_load_state(:'mine', flowstate_tests.ctx(1)), :'mine_before'::jsonb, 'my flow is unchanged');
select is(flowstate.flow_load_state(:'theirs', flowstate_tests.ctx(2)), :'theirs_before'::jsonb,
          'the other tenant''s flow is unchanged');
select is(flowstate.flow_load_state(:'theirs', flowstate_tests.ctx(1)), null::jsonb,
          'and still invisible to this tenant');
reset role;
select is(flowstate_tests.audit_count(:'mine'), 2::bigint, 'no audit row for my flow');
select is(flowstate_tests.audit_count(:'theirs'), 1::bigint, 'no audit row for theirs');
select is((select count(*) from flowstate.flows where flow_id in (:'mine', :'theirs')), 2::bigint,
          'no row was added');

select * from finish();
rollback;
