-- With p_expected_version, recovery is compare-and-set: a stale version is FS002 with the
-- expected and actual versions in DETAIL, and changes nothing. NULL skips the check.
begin;
\ir ../_helpers.sql
select plan(5);

select flowstate_tests.make_flow(p_versions => 2) as flow_id \gset
select flowstate.flow_create_checkpoint(:'flow_id', null, null, flowstate_tests.ctx()) as checkpoint_id \gset
select flowstate.flow_transition_phase(:'flow_id', 'field_mapping', 2, flowstate_tests.ctx()) is not null as moved \gset
select flowstate.flow_load_state(:'flow_id', flowstate_tests.ctx()) as before \gset
select flowstate_tests.audit_count(:'flow_id') as audit_before \gset

select is(flowstate_tests.error_of(format($$ select flowstate.flow_recover_from_checkpoint(%L, %L, 2, flowstate_tests.ctx()) $$,
                                          :'flow_id', :'checkpoint_id')),
          jsonb_build_object('sqlstate', 'FS002', 'detail', jsonb_build_object('flow_id', :'flow_id', 'expected', 2, 'actual', 3)),
          'a stale expected version is FS002 with expected and actual');
select is(flowstate.flow_load_state(:'flow_id', flowstate_tests.ctx()), :'before'::jsonb, 'the document is unchanged');
select is(flowstate_tests.audit_count(:'flow_id'), :audit_before::bigint, 'no audit row was written');
select is(flowstate.flow_recover_from_checkpoint(:'flow_id', :'checkpoint_id', 3, flowstate_tests.ctx()) ->> 'flow_version', '4',
          'the current version is accepted');
select is(flowstate.flow_recover_from_checkpoint(:'flow_id', :'checkpoint_id', null, flowstate_tests.ctx()) ->> 'flow_version', '5',
          'a NULL expected version skips the check');

select * from finish();
rollback;
