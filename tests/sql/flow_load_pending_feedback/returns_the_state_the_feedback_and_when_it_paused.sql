-- A paused flow loads as {state, feedback, paused_at}: the current document (as
-- flow_load_state returns it), the feedback context, and the time of the pause (ISO, UTC).
begin;
\ir ../_helpers.sql
select plan(3);

select gen_random_uuid() as flow_id \gset
set local role flowstate_app;
select flowstate.flow_record_step(:'flow_id', 'review', '{"draft": 1}', 'review', flowstate_tests.ctx(),
                                  p_feedback => '{"message": "ok?", "options": ["yes", "no"]}') is not null as paused \gset
select flowstate.flow_load_pending_feedback(:'flow_id', flowstate_tests.ctx()) as loaded \gset
select is(:'loaded'::jsonb - '{state,feedback,paused_at}'::text[], '{}'::jsonb, 'it has the three keys and no others');
select is(:'loaded'::jsonb -> 'state', flowstate.flow_load_state(:'flow_id', flowstate_tests.ctx()),
          'state is the current document, state_data included');
reset role;
select is(:'loaded'::jsonb - 'state', jsonb_build_object('feedback', '{"message": "ok?", "options": ["yes", "no"]}'::jsonb,
                                                         'paused_at', flowstate._iso(now())),
          'feedback is the context as given, paused_at the time of the pause');

select * from finish();
rollback;
