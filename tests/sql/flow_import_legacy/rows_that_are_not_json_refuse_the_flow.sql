-- Any row that is not JSON (even with the NaN/Infinity mapping) refuses the whole flow with
-- FS001, naming every such row; nothing is written. Other flows are not affected.
begin;
\ir ../_helpers.sql
select plan(5);

select count(*) as audit_rows from flowstate.audit_log \gset
select flowstate_tests.error_of(
  $$ select flowstate.flow_import_legacy('broken', '{1,2,3,4}', '{a,b,c,d}', '{t1,t2,t3,t4}',
       array['{"ok": NaN}', '{"cut": ', '{"ok": 1}', 'Nan'], '{"fingerprint": "f"}', flowstate_tests.ctx()) $$) as err \gset
select is(:'err'::jsonb ->> 'sqlstate', 'FS001', 'rows that are not JSON are refused with FS001');
select is(:'err'::jsonb -> 'detail' -> 'errors',
          '["Legacy row 2: not JSON: The input string ended unexpectedly.", "Legacy row 4: not JSON: Token \"Nan\" is invalid."]'::jsonb,
          'DETAIL names every row that is not JSON, and why (NaN itself is fine)');
select is((select count(*) from flowstate.legacy_rows where flow_id = flowstate.flow_id_for('broken', flowstate_tests.ctx())),
          0::bigint, 'no legacy row was kept');
select is((select count(*) from flowstate.audit_log), :'audit_rows'::bigint, 'no flow was written');

set local role flowstate_app;
select is(flowstate.flow_import_legacy('fine', '{1}', '{a}', '{t}', '{"{}"}', '{"fingerprint": "f"}', flowstate_tests.ctx()) ->> 'status',
          'migrated', 'another flow imports as usual');
reset role;

select * from finish();
rollback;
