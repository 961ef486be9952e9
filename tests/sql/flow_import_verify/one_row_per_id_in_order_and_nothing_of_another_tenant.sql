-- One row per requested id, in the order given, imported or not. Another tenant's import is
-- "Not imported." to this tenant (row count 0, no hash, the flow id this tenant would get).
-- A bad context is FS001.
begin;
\ir ../_helpers.sql
select plan(4);

set local role flowstate_app;
select flowstate.flow_import_legacy('a', '{1}', '{x}', '{t}', '{"{}"}', '{"fingerprint": "f"}', flowstate_tests.ctx(1)) is not null as ok \gset
select flowstate.flow_import_legacy('b', '{1}', '{x}', '{t}', '{"{}"}', '{"fingerprint": "f"}', flowstate_tests.ctx(1)) is not null as ok \gset

select results_eq($$ select external_id, cardinality(problems) from flowstate.flow_import_verify('{b,never,a}', flowstate_tests.ctx(1)) $$,
                  $$ values ('b', 0), ('never', 1), ('a', 0) $$, 'one row per id, in the order given');
select is((select to_jsonb(v) from flowstate.flow_import_verify('{a}', flowstate_tests.ctx(2)) v),
          jsonb_build_object('external_id', 'a', 'flow_id', flowstate.flow_id_for('a', flowstate_tests.ctx(2)), 'row_count', 0,
                             'content_hash', null, 'problems', array['Not imported.']),
          'another tenant''s import is not imported to this tenant');
select is_empty($$ select * from flowstate.flow_import_verify('{}', flowstate_tests.ctx()) $$, 'no ids, no rows');
select is(flowstate_tests.context_refusals($$ select * from flowstate.flow_import_verify('{a}', %s) $$),
          array['FS001', 'FS001', 'FS001'], 'a malformed, non-object or (for the app role) NULL context is FS001');
reset role;

select * from finish();
rollback;
