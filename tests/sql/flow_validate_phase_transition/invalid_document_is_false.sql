-- For an invalid document the answer is false (never an exception), even when the move
-- itself would be allowed; a failed flow may not move either.
begin;
\ir ../_helpers.sql
select plan(8);

select flowstate_tests.doc(gen_random_uuid()) as valid \gset
set local role flowstate_app;

select is(flowstate.flow_validate_phase_transition(:'valid', 'field_mapping'), true, 'the valid document may move on');
select is(flowstate.flow_validate_phase_transition(c.doc, 'field_mapping'), false, c.why)
  from (values (:'valid'::jsonb - 'state_data', 'a document without state_data: false'),
               (:'valid'::jsonb || '{"flow_type": "no_such_type"}', 'an unknown flow type: false'),
               (:'valid'::jsonb || '{"phases_completed": {"a": 1}}', 'phases_completed as an object: false'),
               (:'valid'::jsonb || '{"phases_completed": "data_import"}', 'phases_completed as a string: false'),
               (null::jsonb, 'NULL: false'),
               ('[1, 2]'::jsonb, 'an array: false')) as c(doc, why);
select is(flowstate.flow_validate_phase_transition(:'valid'::jsonb || '{"current_phase": "failed", "status": "failed"}',
                                                   'data_import'),
          false, 'a failed flow may not move');

select * from finish();
rollback;
