-- Two tenants' "run-1" are two flows. A canonical UUID id is global: a second tenant's
-- import of it is a conflict. Ledger, verification and history are per tenant.
begin;
\ir ../_helpers.sql
select plan(6);

set local role flowstate_app;
select flowstate.flow_import_legacy('run-1', '{1}', '{a}', '{t}', '{"{\"t\": 1}"}', '{"fingerprint": "f"}', flowstate_tests.ctx(1)) ->> 'flow_id' as one \gset
select flowstate.flow_import_legacy('run-1', '{1}', '{a}', '{t}', '{"{\"t\": 2}"}', '{"fingerprint": "g"}', flowstate_tests.ctx(2)) ->> 'flow_id' as two \gset
select flowstate.flow_import_legacy('7f27ade4-0d8e-4c8e-9c55-1f2b3c4d5e6f', '{1}', '{a}', '{t}', '{"{}"}', '{"fingerprint": "f"}', flowstate_tests.ctx(1)) is not null as ok \gset
reset role;

select isnt(:'one'::text, :'two'::text, 'the same external id gives each tenant its own flow');
select throws_ok($$ select flowstate.flow_import_legacy('7f27ade4-0d8e-4c8e-9c55-1f2b3c4d5e6f', '{1}', '{a}', '{t}', '{"{}"}', '{"fingerprint": "f"}', flowstate_tests.ctx(2)) $$,
                 'FS005', null, 'another tenant''s import of a canonical UUID id is a conflict');
set local role flowstate_app;
select is((select array_agg(external_id) from flowstate.flow_import_status('{run-1,7f27ade4-0d8e-4c8e-9c55-1f2b3c4d5e6f}', flowstate_tests.ctx(2))),
          array['run-1'], 'flow_import_status shows only the tenant''s own ledger');
select is((select problems from flowstate.flow_import_verify('{7f27ade4-0d8e-4c8e-9c55-1f2b3c4d5e6f}', flowstate_tests.ctx(2))),
          array['Not imported.'], 'flow_import_verify sees nothing of another tenant');
select is((select count(*) from flowstate.flow_legacy_history(:'one', flowstate_tests.ctx(2))), 0::bigint,
          'flow_legacy_history of another tenant''s flow is empty');
select is((select count(*) from flowstate.flow_legacy_history(:'one', flowstate_tests.ctx(1))), 1::bigint,
          'and the owner reads it');
reset role;

select * from finish();
rollback;
