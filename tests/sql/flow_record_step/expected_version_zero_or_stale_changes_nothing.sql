-- p_expected_version: NULL is last writer wins; 0 means "this caller has not seen the flow",
-- so an existing flow is FS002 (DETAIL expected 0, actual); a stale n is FS002; n on a missing
-- flow is FS004. A refused step changes nothing.
begin;
\ir ../_helpers.sql
select plan(8);

select gen_random_uuid() as id \gset
select gen_random_uuid() as missing \gset
set local role flowstate_app;
select flowstate.flow_record_step(:'id', 'a', '{}', 'a', flowstate_tests.ctx(), p_expected_version => 0) ->> 'flow_version' as v \gset
select is(:'v'::int, 1, '0 creates a missing flow');
select flowstate.flow_load_state(:'id', flowstate_tests.ctx()) as before \gset

select flowstate_tests.outcome_of(format($$ select flowstate.flow_record_step(%L, 'b', '{"x": 1}', 'b', flowstate_tests.ctx(), p_expected_version => 0) $$, :'id')) as e \gset
select is(:'e'::jsonb ->> 'sqlstate', 'FS002', '0 on an existing flow is FS002');
select is(:'e'::jsonb -> 'detail', jsonb_build_object('flow_id', :'id', 'expected', 0, 'actual', 1), 'DETAIL: expected 0, actual 1');
select throws_ok(format($$ select flowstate.flow_record_step(%L, 'b', '{"x": 1}', 'b', flowstate_tests.ctx(), p_expected_version => 7) $$, :'id'),
                 'FS002', null, 'a stale version is FS002');
select throws_ok(format($$ select flowstate.flow_record_step(%L, 'b', '{}', 'b', flowstate_tests.ctx(), p_expected_version => 1) $$, :'missing'),
                 'FS004', null, 'a version on a missing flow is FS004');
select is(flowstate.flow_load_state(:'id', flowstate_tests.ctx()), :'before'::jsonb, 'the flow is unchanged');
select is(flowstate.flow_record_step(:'id', 'b', '{"x": 2}', 'b', flowstate_tests.ctx(), p_expected_version => 1) ->> 'flow_version',
          '2', 'the current version succeeds');
reset role;
select is(flowstate_tests.audit_count(:'id'), 2::bigint, 'refused steps wrote no audit row');

select * from finish();
rollback;
