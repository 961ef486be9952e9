-- flow_id in the document must equal p_flow_id (FS001), on create and on update; nothing
-- is created or changed under either id, and the mismatch is reported with other problems.
begin;
\ir ../_helpers.sql
select plan(9);

select flowstate_tests.make_flow() as flow_id \gset
select gen_random_uuid() as other_id \gset
set local role flowstate_app;
select flowstate.flow_load_state(:'flow_id', flowstate_tests.ctx()) as before \gset

select flowstate_tests.outcome_of(format($$ select flowstate.flow_save_state(%L, flowstate_tests.doc(%L), 1,
                                                                          flowstate_tests.ctx()) $$,
                                       :'flow_id', :'other_id')) as e_update \gset
select is(:'e_update'::jsonb ->> 'sqlstate', 'FS001', 'an update whose document names another flow is FS001');
select is(jsonb_array_length(:'e_update'::jsonb -> 'detail' -> 'errors'), 1, 'with one error');
select ok(:'e_update'::jsonb -> 'detail' ->> 'errors' ~ :'other_id', 'which names the id in the document');

select throws_ok(
  format($$ select flowstate.flow_save_state(%L, flowstate_tests.doc(%L), null, flowstate_tests.ctx()) $$,
         :'other_id', :'flow_id'),
  'FS001', null, 'a create whose document names another flow is FS001');

select is(flowstate.flow_load_state(:'flow_id', flowstate_tests.ctx()), :'before'::jsonb, 'the stored flow is unchanged');
select is(flowstate.flow_load_state(:'other_id', flowstate_tests.ctx()), null::jsonb, 'no flow was created under the other id');
reset role;
select is(flowstate_tests.audit_count(:'flow_id'), 1::bigint, 'no audit row was written');
select is(flowstate_tests.audit_count(:'other_id'), 0::bigint, 'nor for the other id');

-- Every problem at once: the mismatch is listed next to a problem of the document itself.
set local role flowstate_app;
select is(jsonb_array_length(flowstate_tests.outcome_of(
            format($$ select flowstate.flow_save_state(%L, %L, 1, flowstate_tests.ctx()) $$,
                   :'flow_id', flowstate_tests.doc(:'other_id') || '{"state_data": 5}')) -> 'detail' -> 'errors'),
          2, 'a mismatched flow_id is listed together with the other problems');

select * from finish();
rollback;
