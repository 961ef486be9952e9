-- A re-run (or a run resumed after kill -9) offers flows that are done: same content, from
-- this or any other copy of the source, is reported already_migrated and writes nothing.
begin;
\ir ../_helpers.sql
select plan(4);

select flowstate.flow_id_for('again', flowstate_tests.ctx()) as flow_id \gset
set local role flowstate_app;
select flowstate.flow_import_legacy('again', '{1,2}', '{a,b}', '{t1,t2}', '{"{}","{\"x\": NaN}"}',
                                    '{"fingerprint": "one"}', flowstate_tests.ctx()) as first \gset
reset role;
select count(*) as audit_rows, (select count(*) from flowstate.legacy_rows) as legacy_rows,
       (select to_jsonb(l) from flowstate.migration_ledger l where flow_id = :'flow_id') as ledger
  from flowstate.audit_log \gset

set local role flowstate_app;
select flowstate.flow_import_legacy('again', '{1,2}', '{a,b}', '{t1,t2}', '{"{}","{\"x\": NaN}"}',
                                    '{"fingerprint": "another copy"}', flowstate_tests.ctx()) as second \gset
reset role;

select is(:'second'::jsonb ->> 'status', 'already_migrated', 'the same content again is already_migrated');
select is(:'second'::jsonb ->> 'content_hash', :'first'::jsonb ->> 'content_hash', 'with the content hash of the import');
select is(array[(select count(*) from flowstate.audit_log), (select count(*) from flowstate.legacy_rows)],
          array[:'audit_rows'::bigint, :'legacy_rows'::bigint], 'no audit row and no legacy row was written');
select is((select to_jsonb(l) from flowstate.migration_ledger l where flow_id = :'flow_id'), :'ledger'::jsonb,
          'the ledger entry is unchanged (it still names the first source)');

select * from finish();
rollback;
