-- An imported flow's legacy rows come back oldest (lowest id) first: id, method name,
-- original timestamp text, the state as jsonb (mapped where jsonb cannot hold the text, the
-- mapping named in `mapped`), the exact original text and its sha256.
begin;
\ir ../_helpers.sql
select plan(2);

select flowstate.flow_id_for('h', flowstate_tests.ctx()) as flow_id \gset
set local role flowstate_app;
select flowstate.flow_import_legacy('h', '{4,9}', '{a,b}', '{t4,t9}', '{"{\"n\": NaN}","{\"n\": 2}"}',
                                    '{"fingerprint": "f"}', flowstate_tests.ctx()) is not null as imported \gset
select results_eq(format($$ select legacy_id, method_name, legacy_timestamp, state, mapped, state_text, state_sha256
                              from flowstate.flow_legacy_history(%L, flowstate_tests.ctx()) $$, :'flow_id'),
                  $$ values (4::bigint, 'a', 't4', '{"n": "NaN"}'::jsonb,
                             array['NaN/Infinity numbers became the strings "NaN", "Infinity", "-Infinity".'],
                             '{"n": NaN}', encode(sha256('{"n": NaN}'), 'hex')),
                            (9, 'b', 't9', '{"n": 2}', '{}', '{"n": 2}', encode(sha256('{"n": 2}'), 'hex')) $$,
                  'every row, lowest id first, mapped as jsonb and kept as text');
select flowstate.flow_record_step(:'flow_id', 'c', '{"n": 3}', 'c', flowstate_tests.ctx()) is not null as moved_on \gset
select is((select count(*) from flowstate.flow_legacy_history(:'flow_id', flowstate_tests.ctx())), 2::bigint,
          'steps after the import are not legacy rows');
reset role;

select * from finish();
rollback;
