-- The ledger is per tenant: ids another tenant imported, plain strings and canonical UUIDs
-- alike, are not listed; the same plain id imported by both tenants lists each its own flow.
-- A bad context is FS001.
begin;
\ir ../_helpers.sql
select plan(4);

set local role flowstate_app;
select flowstate.flow_import_legacy('run-1', '{1}', '{a}', '{t}', '{"{}"}', '{"fingerprint": "f"}', flowstate_tests.ctx(1)) is not null as ok \gset
select flowstate.flow_import_legacy('7f27ade4-0d8e-4c8e-9c55-1f2b3c4d5e6f', '{1}', '{a}', '{t}', '{"{}"}', '{"fingerprint": "f"}',
                                    flowstate_tests.ctx(1)) is not null as ok \gset

select is_empty($$ select * from flowstate.flow_import_status('{run-1,7f27ade4-0d8e-4c8e-9c55-1f2b3c4d5e6f}', flowstate_tests.ctx(2)) $$,
                'another tenant sees none of them');
select flowstate.flow_import_legacy('run-1', '{1}', '{a}', '{t}', '{"{}"}', '{"fingerprint": "g"}', flowstate_tests.ctx(2)) is not null as ok \gset
select is((select flow_id from flowstate.flow_import_status('{run-1}', flowstate_tests.ctx(2))), flowstate.flow_id_for('run-1', flowstate_tests.ctx(2)),
          'once it imports its own "run-1", it sees its own flow');
select is((select source_fingerprint from flowstate.flow_import_status('{run-1}', flowstate_tests.ctx(1))), 'f',
          'and the first tenant still its own');
select is(flowstate_tests.context_refusals($$ select * from flowstate.flow_import_status('{run-1}', %s) $$),
          array['FS001', 'FS001', 'FS001'], 'a malformed, non-object or (for the app role) NULL context is FS001');
reset role;

select * from finish();
rollback;
