-- Malformed calls are refused with FS001 listing every problem, and change nothing.
begin;
\ir ../_helpers.sql
select plan(8);

select (select count(*) from flowstate.legacy_rows) + (select count(*) from flowstate.migration_ledger) as before \gset

select is(flowstate_tests.error_of($$ select flowstate.flow_import_legacy('', '{1,2}', '{a}', '{t}', '{"{}"}', '{}', flowstate_tests.ctx()) $$) -> 'detail' -> 'errors',
          '["p_external_id must be a non-empty string.", "p_legacy_ids, p_method_names, p_timestamps and p_states must be non-empty arrays of the same length.", "p_source must be an object with a \"fingerprint\" string."]'::jsonb,
          'an empty id, arrays of different lengths and a source without fingerprint are all reported');
select throws_ok($$ select flowstate.flow_import_legacy('x', '{}', '{}', '{}', '{}', '{"fingerprint": "f"}', flowstate_tests.ctx()) $$,
                 'FS001', null, 'a flow without rows is refused');
select is(flowstate_tests.error_of($$ select flowstate.flow_import_legacy('x', '{2,1}', '{a,b}', '{t,t}', '{"{}","{}"}', '{"fingerprint": "f"}', flowstate_tests.ctx()) $$) -> 'detail' -> 'errors',
          '["p_legacy_ids must be strictly increasing (rows in id order)."]'::jsonb, 'rows out of id order are refused');
select is(flowstate_tests.error_of($$ select flowstate.flow_import_legacy('x', '{1,1}', '{a,b}', '{t,t}', '{"{}","{}"}', '{"fingerprint": "f"}', flowstate_tests.ctx()) $$) ->> 'sqlstate',
          'FS001', 'repeated ids are refused');
select is(flowstate_tests.error_of($$ select flowstate.flow_import_legacy('x', '{1}', array[null::text], '{t}', '{"{}"}', '{"fingerprint": "f"}', flowstate_tests.ctx()) $$) -> 'detail' -> 'errors',
          '["The row arrays must not contain NULL."]'::jsonb, 'NULL in a row is refused');
select is(flowstate_tests.error_of($$ select flowstate.flow_import_legacy('x', '{1}', '{a}', '{t}', '{"{}"}', '{"fingerprint": "f"}', flowstate_tests.ctx(),
                                                                         p_pending => '{"legacy_id": 1}') $$) ->> 'sqlstate',
          'FS001', 'a malformed pending row is refused');
select throws_ok($$ select flowstate.flow_import_legacy('x', '{1}', '{a}', '{t}', '{"{}"}', '{"fingerprint": "f"}', null) $$,
                 'FS001', null, 'an import needs a tenant, even for an admin');
select is((select count(*) from flowstate.legacy_rows) + (select count(*) from flowstate.migration_ledger), :'before'::bigint,
          'nothing was written');

select * from finish();
rollback;
