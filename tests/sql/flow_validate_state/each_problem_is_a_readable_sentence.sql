-- Each kind of problem yields exactly one error: a sentence (ending in a period) that
-- names what is wrong.
begin;
\ir ../_helpers.sql
select plan(32);

select flowstate_tests.doc(gen_random_uuid()) as valid \gset
select '{"flow_type": "crewai", "current_phase": "b"}' as crew \gset
set local role flowstate_app;

select is(case when cardinality(e) = 1 and e[1] ~ c.pattern and e[1] ~ '\.$' then 'one sentence naming it'
               else array_to_string(e, ' | ') end,
          'one sentence naming it', c.problem)
  from (values
    (:'valid'::jsonb - 'flow_id', 'flow_id', 'missing flow_id'),
    (:'valid'::jsonb - 'current_phase', 'current_phase', 'missing current_phase'),
    (:'valid'::jsonb - 'phases_completed', 'phases_completed', 'missing phases_completed'),
    (:'valid'::jsonb - 'state_data', 'state_data', 'missing state_data'),
    (:'valid'::jsonb || '{"colour": "red"}', 'colour', 'an unknown field'),
    (:'valid'::jsonb || '{"flow_id": "flow-1"}', 'flow_id', 'a flow_id that is no UUID'),
    (:'valid'::jsonb || '{"flow_id": 42}', 'flow_id', 'a flow_id that is a number'),
    (:'valid'::jsonb || '{"flow_type": "no_such_type"}', 'no_such_type', 'an unknown flow_type'),
    (:'valid'::jsonb || '{"flow_type": 5}', 'flow_type', 'a flow_type that is no string'),
    (:'valid'::jsonb || '{"flow_version": "1"}', 'flow_version', 'a flow_version that is a string'),
    (:'valid'::jsonb || '{"flow_version": 0}', 'flow_version', 'a flow_version below 1'),
    (:'valid'::jsonb || '{"current_phase": ""}', 'current_phase', 'an empty current_phase'),
    (:'valid'::jsonb || '{"current_phase": ["data_import"]}', 'current_phase', 'a current_phase that is an array'),
    (:'valid'::jsonb || '{"phases_completed": "data_import"}', 'phases_completed', 'phases_completed that is no array'),
    (:'valid'::jsonb || '{"phases_completed": [1]}', 'phases_completed', 'phases_completed holding a number'),
    (:'valid'::jsonb || :'crew'::jsonb || '{"phases_completed": ["a", "a"]}', '''a''.*more than once', 'a phase completed twice'),
    (:'valid'::jsonb || :'crew'::jsonb || '{"phases_completed": ["completed"]}', 'terminal', 'a terminal phase among the completed ones'),
    (:'valid'::jsonb || '{"status": "sleeping"}', 'status', 'an unknown status'),
    (:'valid'::jsonb || '{"status": "completed"}', 'status.*current_phase', 'a status that contradicts current_phase'),
    (:'valid'::jsonb || '{"failed_phase": "data_import"}', 'failed_phase', 'failed_phase on a flow that has not failed'),
    (:'valid'::jsonb || '{"current_phase": "failed", "failed_phase": ""}', 'failed_phase', 'an empty failed_phase'),
    (:'valid'::jsonb || '{"created_at": "31/01/2026"}', 'created_at', 'a created_at that is no ISO timestamp'),
    (:'valid'::jsonb || '{"updated_at": "2026-01-31T12:00:00"}', 'updated_at', 'an updated_at without a time zone'),
    (:'valid'::jsonb || '{"checkpoints": [[]]}', 'checkpoints', 'checkpoints that are not objects'),
    (:'valid'::jsonb || '{"state_data": "text"}', 'state_data', 'a state_data that is a string'),
    (:'valid'::jsonb || '{"metadata": [1]}', 'metadata', 'metadata that is an array'),
    (:'valid'::jsonb || '{"metadata": {"user_id": "me"}}', 'metadata\.user_id', 'a metadata.user_id that is no UUID'),
    (:'valid'::jsonb || '{"current_phase": "nowhere"}', '''nowhere''.*discovery', 'a phase the flow type does not have'),
    (:'valid'::jsonb || '{"current_phase": "data_cleansing"}', 'data_import', 'a path that does not start at the initial phase'),
    (:'valid'::jsonb || '{"current_phase": "data_cleansing", "phases_completed": ["data_import"]}',
     'data_import -> data_cleansing', 'a step the graph does not have'),
    (:'valid'::jsonb || jsonb_build_object('state_data', flowstate_tests.nested(64)), 'max_nesting_depth', 'nesting too deep')
  ) as c(doc, pattern, problem),
  lateral flowstate.flow_validate_state(c.doc) as e;

-- current_phase listed as completed: named (in a closed type the path then also repeats a phase).
select ok(exists (select from unnest(flowstate.flow_validate_state(:'valid'::jsonb || '{"phases_completed": ["data_import"]}')) e
                   where e ~ 'current_phase ''data_import'' is also listed in phases_completed\.$'),
          'current_phase listed in phases_completed is named');

select * from finish();
rollback;
