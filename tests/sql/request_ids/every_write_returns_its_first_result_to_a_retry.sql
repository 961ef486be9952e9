-- Every write called twice with the same p_request_id (a retry after a lost reply): the first
-- call writes, the second returns the first call's result and changes nothing (no second
-- version, audit row, checkpoint, archive or pause), where a plain second call would write
-- again or be refused (FS005 for a create, FS002 for the version it moved past, FS003 for a
-- transition already made).
begin;
\ir ../_helpers.sql
\ir _footprint.sql
select plan(36);

-- Flows to write to, each used by one case.
select gen_random_uuid() as new_id \gset
select flowstate_tests.make_flow() as saved \gset
select flowstate_tests.make_flow() as put \gset
select flowstate_tests.make_flow() as moved \gset
select flowstate_tests.make_flow() as checkpointed \gset
select flowstate_tests.make_flow() as restored \gset
select flowstate.flow_create_checkpoint(:'restored', null, 'before', flowstate_tests.ctx()) as checkpoint \gset
select flowstate.flow_save_state(:'restored', flowstate_tests.doc(:'restored', p_state_data => '{"later": true}'), 1,
                                 flowstate_tests.ctx()) is not null as ok \gset
select flowstate_tests.make_flow() as failed \gset
select flowstate.flow_create_checkpoint(:'failed', null, 'start', flowstate_tests.ctx()) is not null as ok \gset
select flowstate.flow_transition_phase(:'failed', 'failed', null, flowstate_tests.ctx()) is not null as ok \gset
select flowstate_tests.make_flow() as corrupted \gset
select gen_random_uuid() as stepped \gset
select flowstate.flow_record_step(:'stepped', 'first', '{"n": 1}', 'first', flowstate_tests.ctx()) is not null as ok \gset
select gen_random_uuid() as batch_new \gset
select flowstate_tests.make_flow() as batch_old \gset
select flowstate_tests.make_flow() as paused \gset
select flowstate_tests.make_flow() as resumed \gset
select flowstate.flow_save_pending_feedback(:'resumed', flowstate_tests.doc(:'resumed'), '{"ask": "ok?"}', 'ask',
                                            flowstate_tests.ctx()) is not null as ok \gset

create temporary table outcomes (name text primary key, outcome jsonb) on commit drop;
insert into outcomes values
  ('flow_save_state creating', pg_temp.twice(format($$
     flowstate.flow_save_state(%L, flowstate_tests.doc(%L), null, flowstate_tests.ctx(), %L) $$,
     :'new_id', :'new_id', gen_random_uuid()), array[:'new_id'::uuid])),
  ('flow_save_state with a version', pg_temp.twice(format($$
     flowstate.flow_save_state(%L, flowstate_tests.doc(%L, p_state_data => '{"step": 1}'), 1, flowstate_tests.ctx(), %L) $$,
     :'saved', :'saved', gen_random_uuid()), array[:'saved'::uuid])),
  ('flow_put_state', pg_temp.twice(format($$
     flowstate.flow_put_state(%L, flowstate_tests.doc(%L, p_state_data => '{"put": 1}'), 'label', flowstate_tests.ctx(),
                              p_request_id => %L) $$,
     :'put', :'put', gen_random_uuid()), array[:'put'::uuid])),
  ('flow_transition_phase', pg_temp.twice(format($$
     flowstate.flow_transition_phase(%L, 'field_mapping', null, flowstate_tests.ctx(), %L) $$,
     :'moved', gen_random_uuid()), array[:'moved'::uuid])),
  ('flow_create_checkpoint', pg_temp.twice(format($$
     flowstate.flow_create_checkpoint(%L, null, 'retried', flowstate_tests.ctx(), %L) $$,
     :'checkpointed', gen_random_uuid()), array[:'checkpointed'::uuid])),
  ('flow_recover_from_checkpoint', pg_temp.twice(format($$
     flowstate.flow_recover_from_checkpoint(%L, %L, 2, flowstate_tests.ctx(), %L) $$,
     :'restored', :'checkpoint', gen_random_uuid()), array[:'restored'::uuid])),
  ('flow_recover_failed', pg_temp.twice(format($$
     flowstate.flow_recover_failed(%L, flowstate_tests.ctx(), %L) $$,
     :'failed', gen_random_uuid()), array[:'failed'::uuid])),
  ('flow_handle_corrupted', pg_temp.twice(format($$
     flowstate.flow_handle_corrupted(%L, flowstate_tests.ctx(), %L) $$,
     :'corrupted', gen_random_uuid()), array[:'corrupted'::uuid])),
  ('flow_record_step', pg_temp.twice(format($$
     flowstate.flow_record_step(%L, 'second', '{"n": 2}', 'second', flowstate_tests.ctx(), p_request_id => %L) $$,
     :'stepped', gen_random_uuid()), array[:'stepped'::uuid])),
  ('flow_save_states', pg_temp.twice(format($$
     flowstate.flow_save_states(jsonb_build_array(
       jsonb_build_object('flow_id', %L, 'state', flowstate_tests.doc(%L), 'request_id', %L),
       jsonb_build_object('flow_id', %L, 'state', flowstate_tests.doc(%L, p_state_data => '{"b": 1}'),
                          'expected_version', 1, 'request_id', %L)), flowstate_tests.ctx()) $$,
     :'batch_new', :'batch_new', gen_random_uuid(), :'batch_old', :'batch_old', gen_random_uuid()),
     array[:'batch_new'::uuid, :'batch_old'::uuid])),
  ('flow_save_pending_feedback', pg_temp.twice(format($$
     flowstate.flow_save_pending_feedback(%L, flowstate_tests.doc(%L, p_state_data => '{"waiting": true}'), '{"ask": "go?"}',
                                          'ask', flowstate_tests.ctx(), p_request_id => %L) $$,
     :'paused', :'paused', gen_random_uuid()), array[:'paused'::uuid])),
  ('flow_clear_pending_feedback', pg_temp.twice(format($$
     flowstate.flow_clear_pending_feedback(%L, flowstate_tests.ctx(), %L) $$,
     :'resumed', gen_random_uuid()), array[:'resumed'::uuid]));

select ok((outcome ->> 'changed')::boolean, name || ': the first call writes') from outcomes order by name;
select is(outcome -> 'second', outcome -> 'first', name || ': the retry returns the first call''s result')
  from outcomes order by name;
select ok((outcome ->> 'unchanged')::boolean, name || ': the retry changes nothing') from outcomes order by name;

select * from finish();
rollback;
