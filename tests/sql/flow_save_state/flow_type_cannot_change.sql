-- A save cannot change a flow's type (FS001), even to a type under which the document is
-- valid; naming the stored type is fine, and an unknown type is FS001 as well.
begin;
\ir ../_helpers.sql
select plan(7);

select flowstate_tests.make_flow() as flow_id \gset
set local role flowstate_app;
select flowstate.flow_load_state(:'flow_id', flowstate_tests.ctx()) as before \gset

select flowstate_tests.outcome_of(format($$ select flowstate.flow_save_state(%L, %L, 1, flowstate_tests.ctx()) $$,
                                       :'flow_id', flowstate_tests.doc(:'flow_id') || '{"flow_type": "crewai"}')) as e \gset
select is(:'e'::jsonb ->> 'sqlstate', 'FS001', 'changing discovery to crewai is FS001');
select ok(:'e'::jsonb -> 'detail' ->> 'errors' ~ 'flow_type', 'DETAIL.errors names flow_type');
select throws_ok(
  format($$ select flowstate.flow_save_state(%L, %L, 1, flowstate_tests.ctx()) $$,
         :'flow_id', flowstate_tests.doc(:'flow_id') || '{"flow_type": "no_such_type"}'),
  'FS001', null, 'an unknown flow type is FS001');
select is(flowstate.flow_load_state(:'flow_id', flowstate_tests.ctx()), :'before'::jsonb, 'the stored flow is unchanged');
reset role;
select is(flowstate_tests.audit_count(:'flow_id'), 1::bigint, 'no audit row was written');

set local role flowstate_app;
select is(flowstate.flow_save_state(:'flow_id', flowstate_tests.doc(:'flow_id') || '{"flow_type": "discovery"}', 1,
                                    flowstate_tests.ctx()) ->> 'flow_version', '2',
          'naming the stored type is accepted');
select is(flowstate.flow_load_state(:'flow_id', flowstate_tests.ctx()) ->> 'flow_type', 'discovery', 'the type is still discovery');

select * from finish();
rollback;
