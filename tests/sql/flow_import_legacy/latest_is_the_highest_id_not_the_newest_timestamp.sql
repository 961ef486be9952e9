-- CrewAI's latest row is the highest id. Timestamps can repeat or go backwards (clock
-- changes, several processes): they are kept, never used to order.
begin;
\ir ../_helpers.sql
select plan(3);

select flowstate.flow_id_for('clock', flowstate_tests.ctx()) as flow_id \gset
set local role flowstate_app;
select flowstate.flow_import_legacy('clock', '{1,2,3}', '{a,b,c}',
         '{2026-01-01T12:00:00+00:00,2026-01-01T12:00:00+00:00,2025-12-31T00:00:00+00:00}',
         '{"{\"v\": 1}","{\"v\": 2}","{\"v\": 3}"}', '{"fingerprint": "f"}', flowstate_tests.ctx()) is not null as ok \gset
select flowstate.flow_load_state(:'flow_id', flowstate_tests.ctx()) as doc \gset
reset role;

select is(:'doc'::jsonb -> 'state_data', '{"v": 3}'::jsonb, 'the highest id is the current state, though its timestamp is oldest');
select is(:'doc'::jsonb ->> 'current_phase', 'c', 'and its method the current phase');
select is(array(select legacy_timestamp from flowstate.legacy_rows where flow_id = :'flow_id' order by legacy_id),
          array['2026-01-01T12:00:00+00:00', '2026-01-01T12:00:00+00:00', '2025-12-31T00:00:00+00:00'],
          'duplicate and out-of-order timestamps are kept as they were');

select * from finish();
rollback;
