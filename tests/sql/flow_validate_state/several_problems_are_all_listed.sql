-- A document with several independent problems gets all of them at once: exactly the
-- errors each problem yields on its own.
begin;
\ir ../_helpers.sql
select plan(3);

select flowstate_tests.doc(gen_random_uuid()) as valid \gset
create temporary table problem (patch jsonb) on commit drop;
insert into problem values ('{"colour": "red"}'), ('{"flow_version": 0}'), ('{"status": "sleeping"}'),
  ('{"created_at": "now"}'), ('{"checkpoints": 1}'), ('{"state_data": []}'), ('{"metadata": {"engagement_id": 7}}');

select is((select cardinality(flowstate.flow_validate_state(:'valid'::jsonb || jsonb_object_agg(k, v)))
             from problem, jsonb_each(patch) as p(k, v)),
          7, 'seven problems give seven errors');
select set_eq(
  format($$ select unnest(flowstate.flow_validate_state(%L::jsonb || %L::jsonb)) $$, :'valid',
         (select jsonb_object_agg(k, v) from problem, jsonb_each(patch) as p(k, v))),
  format($$ select unnest(flowstate.flow_validate_state(%L::jsonb || patch)) from problem $$, :'valid'),
  'they are exactly the errors of each problem on its own');
select is(cardinality(flowstate.flow_validate_state('{}')), 4, 'an empty object lacks all four required fields');

select * from finish();
rollback;
