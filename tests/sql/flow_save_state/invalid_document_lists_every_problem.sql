-- An invalid document is FS001 and DETAIL.errors lists every problem at once, one
-- sentence each; the stored flow and its audit trail are unchanged.
begin;
\ir ../_helpers.sql
select plan(12);

select flowstate_tests.make_flow() as flow_id \gset
set local role flowstate_app;
select flowstate.flow_load_state(:'flow_id', flowstate_tests.ctx()) as before \gset

-- Seven problems: an unknown field, a bad flow_id, an empty current_phase, a non-string
-- completed phase, an unknown status, a bad created_at and a state_data that is no object.
select jsonb_build_object('bogus', 1, 'flow_id', 'not-a-uuid', 'current_phase', '', 'phases_completed', '[1]'::jsonb,
                          'status', 'sleeping', 'created_at', 'yesterday', 'state_data', '[]'::jsonb) as bad \gset
select flowstate_tests.outcome_of(format($$ select flowstate.flow_save_state(%L, %L, 1, flowstate_tests.ctx()) $$,
                                       :'flow_id', :'bad')) as e \gset

select is(:'e'::jsonb ->> 'sqlstate', 'FS001', 'an invalid document is FS001');
select is(jsonb_array_length(:'e'::jsonb -> 'detail' -> 'errors'), 7, 'DETAIL.errors lists all seven problems');
select is(:'e'::jsonb -> 'detail' ->> 'flow_id', :'flow_id', 'DETAIL names the flow');
select ok(exists (select from jsonb_array_elements_text(:'e'::jsonb -> 'detail' -> 'errors') m where m ~ 'bogus'),
          'the unknown field is named');
select ok(exists (select from jsonb_array_elements_text(:'e'::jsonb -> 'detail' -> 'errors') m where m ~ 'flow_id'),
          'the bad flow_id is reported');
select ok(exists (select from jsonb_array_elements_text(:'e'::jsonb -> 'detail' -> 'errors') m where m ~ 'current_phase'),
          'the empty current_phase is reported');
select ok(exists (select from jsonb_array_elements_text(:'e'::jsonb -> 'detail' -> 'errors') m where m ~ 'phases_completed'),
          'the bad phases_completed is reported');
select ok(exists (select from jsonb_array_elements_text(:'e'::jsonb -> 'detail' -> 'errors') m where m ~ 'status'),
          'the unknown status is reported');
select ok(exists (select from jsonb_array_elements_text(:'e'::jsonb -> 'detail' -> 'errors') m where m ~ 'created_at'),
          'the bad created_at is reported');
select ok(exists (select from jsonb_array_elements_text(:'e'::jsonb -> 'detail' -> 'errors') m where m ~ 'state_data'),
          'the non-object state_data is reported');

select is(flowstate.flow_load_state(:'flow_id', flowstate_tests.ctx()), :'before'::jsonb, 'the stored document is unchanged');
reset role;
select is(flowstate_tests.audit_count(:'flow_id'), 1::bigint, 'no audit row was written');

select * from finish();
rollback;
