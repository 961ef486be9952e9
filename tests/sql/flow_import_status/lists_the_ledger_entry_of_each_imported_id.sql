-- One row per requested id that was imported, with its ledger entry (flow id, row count, last
-- legacy id, content hash, source fingerprint, the rest of the source, time of import); no
-- row for an id never imported. The migrator skips what is listed.
begin;
\ir ../_helpers.sql
select plan(3);

set local role flowstate_app;
select flowstate.flow_import_legacy('a', '{3,7}', '{x,y}', '{t3,t7}', '{"{}","{\"n\": 1}"}',
                                    '{"fingerprint": "sha256:abc", "path": "/data/flow_states.db"}', flowstate_tests.ctx()) as a \gset
select flowstate.flow_import_legacy('b', '{1}', '{x}', '{t1}', '{"{}"}', '{"fingerprint": "f"}', flowstate_tests.ctx()) is not null as b \gset

select is(array(select external_id from flowstate.flow_import_status('{a,never,b}', flowstate_tests.ctx()) order by 1),
          array['a', 'b'], 'the imported ids are listed, the other is not');
select is((select to_jsonb(s) from flowstate.flow_import_status('{a}', flowstate_tests.ctx()) s),
          jsonb_build_object('external_id', 'a', 'flow_id', flowstate.flow_id_for('a', flowstate_tests.ctx()), 'row_count', 2,
                             'last_legacy_id', 7, 'content_hash', :'a'::jsonb ->> 'content_hash', 'source_fingerprint', 'sha256:abc',
                             'source', '{"path": "/data/flow_states.db"}'::jsonb, 'migrated_at', now()),
          'with its ledger entry');
select is_empty($$ select * from flowstate.flow_import_status('{}', flowstate_tests.ctx()) $$, 'no ids, no rows');
reset role;

select * from finish();
rollback;
