-- A batch whose rows are all JSON and within their limits (checked once for the batch): a flow
-- refused later (its id taken by a flow created in PostgreSQL: FS005) keeps no legacy row,
-- and the flows around it keep theirs exactly, with each row's sha256. A batch with one state
-- over max_document_bytes: that flow alone is refused (FS001 naming the limit, as a single call
-- says), the other is imported.
begin;
\ir ../_helpers.sql
select plan(6);

select flowstate_tests.make_flow_with_id(flowstate.flow_id_for('taken', flowstate_tests.ctx())) is not null as made \gset

set local role flowstate_app;
select flowstate.flow_import_legacy_batch(
  array['before', 'taken', 'after'], '{1,2,1}', '{1,2,3,4}', '{start,start,step,start}', '{t1,t2,t3,t4}',
  array['{"n": 1}', '{"n": 2}', '{"n": 3}', '{"n": 4}'], array[null, null, null]::jsonb[],
  '{"fingerprint": "f"}', flowstate_tests.ctx()) as batch \gset
reset role;

select is(array(select e ->> 'status' from jsonb_array_elements(:'batch'::jsonb) e) || (:'batch'::jsonb -> 1 ->> 'sqlstate'),
          array['migrated', 'refused', 'migrated', 'FS005'], 'the flow whose id is taken is refused with FS005, alone');
select is((select count(*) from flowstate.legacy_rows where flow_id = flowstate.flow_id_for('taken', flowstate_tests.ctx())),
          0::bigint, 'it keeps no legacy row');
select is((select array_agg(array[r.legacy_id::text, r.state_text, r.state_sha256] order by r.legacy_id) from flowstate.legacy_rows r),
          array[array['1', '{"n": 1}', encode(sha256('{"n": 1}'), 'hex')], array['4', '{"n": 4}', encode(sha256('{"n": 4}'), 'hex')]],
          'the others keep their rows exactly, with their hashes');
select is((select array_agg(l.external_id order by l.external_id) from flowstate.migration_ledger l), array['after', 'before'],
          'the ledger has the two imported flows');

update flowstate.settings set value = 5000 where name = 'max_document_bytes';
set local role flowstate_app;
select flowstate.flow_import_legacy_batch(
  array['small', 'big'], '{1,1}', '{1,2}', '{start,start}', '{t1,t2}',
  array['{"n": 1}', jsonb_build_object('s', repeat('x', 5000))::text], array[null, null]::jsonb[],
  '{"fingerprint": "f"}', flowstate_tests.ctx()) as batch \gset
reset role;
select is(array[:'batch'::jsonb -> 0 ->> 'status', :'batch'::jsonb -> 1 ->> 'status', :'batch'::jsonb -> 1 ->> 'sqlstate',
                :'batch'::jsonb -> 1 -> 'detail' ->> 'setting'],
          array['migrated', 'refused', 'FS001', 'max_document_bytes'], 'a state over its limit refuses its flow alone, naming the limit');
select is((select count(*) from flowstate.legacy_rows where flow_id = flowstate.flow_id_for('big', flowstate_tests.ctx())),
          0::bigint, 'and keeps none of its rows');

select * from finish();
rollback;
