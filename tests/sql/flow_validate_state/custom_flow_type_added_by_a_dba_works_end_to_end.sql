-- A DBA adds a closed flow type with plain INSERTs into flowstate.flow_types and
-- flowstate.phase_transitions (as flowstate_admin); validation, saves and transitions follow
-- the new graph at once, with no code change.
begin;
\ir ../_helpers.sql
select plan(11);

set local role flowstate_admin;
insert into flowstate.flow_types (flow_type, initial_phase, description)
values ('onboarding', 'intake', 'Client onboarding: intake, review (maybe escalate), approve.');
insert into flowstate.phase_transitions (flow_type, from_phase, to_phase)
values ('onboarding', 'intake', 'review'), ('onboarding', 'review', 'approve'), ('onboarding', 'review', 'escalate'),
       ('onboarding', 'escalate', 'approve'), ('onboarding', 'approve', 'completed');
reset role;

select gen_random_uuid() as flow_id \gset
select jsonb_build_object('flow_id', :'flow_id', 'flow_type', 'onboarding', 'state_data', '{}'::jsonb) as base \gset
set local role flowstate_app;

select is(flowstate.flow_validate_state(:'base'::jsonb || '{"current_phase": "intake", "phases_completed": []}'), '{}'::text[],
          'a document of the new type is valid');
select ok(flowstate.flow_validate_state(:'base'::jsonb || '{"current_phase": "field_mapping", "phases_completed": []}')::text
            ~ 'field_mapping', 'a discovery phase is not a phase of the new type');
select is(flowstate.flow_save_state(:'flow_id', :'base'::jsonb || '{"current_phase": "intake", "phases_completed": []}', null,
                                    flowstate_tests.ctx()) ->> 'flow_type',
          'onboarding', 'a flow of the new type is created');
select throws_ok(format($$ select flowstate.flow_save_state(%L, %L, null, flowstate_tests.ctx()) $$, gen_random_uuid(),
                        jsonb_build_object('flow_id', gen_random_uuid(), 'flow_type', 'onboarding', 'state_data', '{}'::jsonb,
                                           'current_phase', 'review', 'phases_completed', '[]'::jsonb)),
                 'FS001', null, 'a flow of the new type must start at its initial phase');
select is(flowstate_tests.outcome_of(format($$ select flowstate.flow_transition_phase(%L, 'approve', 1, flowstate_tests.ctx()) $$,
                                          :'flow_id')) -> 'detail' -> 'allowed',
          '["review", "failed"]'::jsonb, 'intake -> approve is refused; DETAIL.allowed comes from the new graph');
select is(flowstate.flow_transition_phase(:'flow_id', 'review', 1, flowstate_tests.ctx()) ->> 'current_phase', 'review',
          'intake -> review');
select is(flowstate_tests.outcome_of(format($$ select flowstate.flow_transition_phase(%L, 'completed', 2, flowstate_tests.ctx()) $$,
                                          :'flow_id')) -> 'detail' -> 'allowed',
          '["approve", "escalate", "failed"]'::jsonb, 'review has two ways on');
select is(flowstate.flow_save_state(:'flow_id', :'base'::jsonb || '{"current_phase": "approve", "phases_completed": ["intake", "review", "escalate"]}',
                                    2, flowstate_tests.ctx()) ->> 'current_phase',
          'approve', 'a save takes review -> escalate -> approve along the branch');
select is(flowstate.flow_transition_phase(:'flow_id', 'completed', 3, flowstate_tests.ctx()) -> 'phases_completed',
          '["intake", "review", "escalate", "approve"]'::jsonb, 'approve -> completed');
select is(flowstate.flow_load_state(:'flow_id', flowstate_tests.ctx()) ->> 'status', 'completed', 'the flow is completed');
select is(flowstate.flow_validate_phase_transition(:'base'::jsonb || '{"current_phase": "review", "phases_completed": ["intake"]}',
                                                   'escalate'),
          true, 'flow_validate_phase_transition knows the new graph');

select * from finish();
rollback;
