-- A fork needs a flow and version the caller can see: another tenant's flow, a missing flow
-- or a version not in the history is FS004, an id in use FS005, an erased id FS008, bad
-- arguments FS001; each refusal creates nothing and leaves the parent's history as it was.
begin;
\ir ../_helpers.sql
\ir ../_lifecycle.sql
select plan(9);

select flowstate_tests.make_flow(p_versions => 2, p_tenant => 2) as theirs, flowstate_tests.make_flow(p_versions => 2) as mine,
       flowstate_tests.make_flow() as taken, flowstate_tests.make_flow() as erased \gset
select flowstate.flow_delete(:'erased', 'test', flowstate_tests.ctx()) is not null as deleted \gset
select count(*) as flows_before from flowstate.flows \gset
select count(*) as audit_before from flowstate.audit_log \gset

set local role flowstate_app;
select is(flowstate_tests.error_of(format($$ select flowstate.flow_fork(%L, 1, null, flowstate_tests.ctx(1)) $$, :'theirs')),
          jsonb_build_object('sqlstate', 'FS004', 'detail', jsonb_build_object('flow_id', :'theirs')),
          'another tenant''s flow is FS004, like a missing one');
select is(flowstate_tests.error_of(format($$ select flowstate.flow_fork(%L, 1, null, flowstate_tests.ctx(1)) $$, gen_random_uuid())) ->> 'sqlstate',
          'FS004', 'a missing flow');
select is(flowstate_tests.error_of(format($$ select flowstate.flow_fork(%L, 9, null, flowstate_tests.ctx(1)) $$, :'mine')) -> 'detail',
          jsonb_build_object('flow_id', :'mine', 'version', 9,
                             'reason', 'The version is not in the flow''s history (never reached, or dropped by retention).'),
          'a version not in the history is FS004 and says so');
select is(flowstate_tests.error_of(format($$ select flowstate.flow_fork(%L, 1, %L, flowstate_tests.ctx(1)) $$, :'mine', :'taken')),
          jsonb_build_object('sqlstate', 'FS005', 'detail', jsonb_build_object('flow_id', :'taken')), 'an id in use is FS005');
select is(flowstate_tests.error_of(format($$ select flowstate.flow_fork(%L, 1, %L, flowstate_tests.ctx(1)) $$, :'mine', :'erased')) ->> 'sqlstate',
          'FS008', 'an erased id is FS008');
select is(flowstate_tests.error_of(format($$ select flowstate.flow_fork(null, 0, null, flowstate_tests.ctx(1)) $$)) #> '{detail,errors}',
          '["p_flow_id is required.", "p_version must be at least 1, not 0."]', 'bad arguments are FS001, all listed');
select is(flowstate_tests.context_refusals(format($$ select flowstate.flow_fork(%L, 1, null, %%s) $$, :'mine')), '{FS001,FS001,FS001}',
          'a malformed or NULL context is FS001 for the application');
reset role;

select is((select count(*) from flowstate.flows), :flows_before::bigint, 'no flow was created');
select is((select count(*) from flowstate.audit_log), :audit_before::bigint, 'and nothing was added to any history');

select * from finish();
rollback;
