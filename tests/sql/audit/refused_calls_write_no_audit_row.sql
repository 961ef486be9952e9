-- A refused call (any SQLSTATE, any function) writes no audit row.
begin;
\ir ../_helpers.sql
select plan(2);

select flowstate_tests.make_flow(p_versions => 2) as flow_id \gset
set local role flowstate_app;
select is(array_agg(flowstate_tests.outcome_of(format(c.call, :'flow_id', flowstate_tests.doc(:'flow_id'))) ->> 'sqlstate'
                    order by c.n),
          array['FS001', 'FS002', 'FS003', 'FS004', 'FS005', 'FS001', 'FS003', 'FS002', 'FS003', 'FS004'],
          'ten calls are refused')
  from (values (1, $$ select flowstate.flow_save_state(%L, '{}', 2, flowstate_tests.ctx()) $$),
               (2, $$ select flowstate.flow_save_state(%L, %L, 1, flowstate_tests.ctx()) $$),
               (3, $$ select flowstate.flow_save_state(%1$L, jsonb_set(%2$L, '{current_phase}', '"failed"') || '{"phases_completed": ["data_import"]}', 2, flowstate_tests.ctx()) $$),
               (4, $$ select flowstate.flow_save_state(%L, %L, 2, flowstate_tests.ctx(2)) $$),
               (5, $$ select flowstate.flow_save_state(%L, %L, null, flowstate_tests.ctx()) $$),
               (6, $$ select flowstate.flow_put_state(%L, %L::jsonb - 'state_data', 'm', flowstate_tests.ctx()) $$),
               (7, $$ select flowstate.flow_transition_phase(%L, 'completed', 2, flowstate_tests.ctx()) $$),
               (8, $$ select flowstate.flow_transition_phase(%L, 'field_mapping', 1, flowstate_tests.ctx()) $$),
               (9, $$ select flowstate.flow_transition_phase(%L, 'data_import', null, flowstate_tests.ctx()) $$),
               (10, $$ select flowstate.flow_transition_phase(%L, 'field_mapping', null, flowstate_tests.ctx(2)) $$))
       as c(n, call);
reset role;
select is(flowstate_tests.audit_count(:'flow_id'), 2::bigint, 'the audit trail still has only the two saves');

select * from finish();
rollback;
