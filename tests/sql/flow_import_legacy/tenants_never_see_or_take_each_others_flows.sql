-- Two tenants' "run-1" are two flows. A canonical UUID id is global: a second tenant's
-- import of it is a conflict. (What each tenant then reads of imports: the folders of
-- flow_import_status, flow_import_verify and flow_legacy_history.)
begin;
\ir ../_helpers.sql
select plan(3);

set local role flowstate_app;
select flowstate.flow_import_legacy('run-1', '{1}', '{a}', '{t}', '{"{\"t\": 1}"}', '{"fingerprint": "f"}', flowstate_tests.ctx(1)) ->> 'flow_id' as one \gset
select flowstate.flow_import_legacy('run-1', '{1}', '{a}', '{t}', '{"{\"t\": 2}"}', '{"fingerprint": "g"}', flowstate_tests.ctx(2)) ->> 'flow_id' as two \gset
select flowstate.flow_import_legacy('7f27ade4-0d8e-4c8e-9c55-1f2b3c4d5e6f', '{1}', '{a}', '{t}', '{"{}"}', '{"fingerprint": "f"}', flowstate_tests.ctx(1)) is not null as ok \gset
reset role;

select isnt(:'one'::text, :'two'::text, 'the same external id gives each tenant its own flow');
select throws_ok($$ select flowstate.flow_import_legacy('7f27ade4-0d8e-4c8e-9c55-1f2b3c4d5e6f', '{1}', '{a}', '{t}', '{"{}"}', '{"fingerprint": "f"}', flowstate_tests.ctx(2)) $$,
                 'FS005', null, 'another tenant''s import of a canonical UUID id is a conflict');
select is(array[(select count(*) from flowstate.legacy_rows where flow_id = '7f27ade4-0d8e-4c8e-9c55-1f2b3c4d5e6f'),
                (select count(*) from flowstate.migration_ledger where flow_id = '7f27ade4-0d8e-4c8e-9c55-1f2b3c4d5e6f'),
                flowstate_tests.audit_count('7f27ade4-0d8e-4c8e-9c55-1f2b3c4d5e6f')],
          array[1, 1, 1]::bigint[], 'the refused import wrote no legacy row, ledger entry or audit row');

select * from finish();
rollback;
