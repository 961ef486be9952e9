-- Arrays that do not line up (row counts not summing to the rows, a count of zero, a pending
-- list of another length) refuse the whole batch with FS001 before any flow is imported.
begin;
\ir ../_helpers.sql
select plan(4);

select count(*) as audit_rows from flowstate.audit_log \gset
select is(flowstate_tests.error_of(
  $$ select flowstate.flow_import_legacy_batch('{a,b}', '{1,2}', '{1,2}', '{m,m}', '{t,t}', '{"{}","{}"}',
       '{null,null}', '{"fingerprint": "f"}', flowstate_tests.ctx()) $$) ->> 'sqlstate',
  'FS001', 'row counts that do not add up to the rows are refused');
select is(flowstate_tests.error_of(
  $$ select flowstate.flow_import_legacy_batch('{a,b}', '{2,0}', '{1,2}', '{m,m}', '{t,t}', '{"{}","{}"}',
       '{null,null}', '{"fingerprint": "f"}', flowstate_tests.ctx()) $$) ->> 'sqlstate',
  'FS001', 'a flow without rows is refused');
select is(flowstate_tests.error_of(
  $$ select flowstate.flow_import_legacy_batch('{a,b}', '{1,1}', '{1,2}', '{m,m}', '{t,t}', '{"{}","{}"}',
       '{null}', '{"fingerprint": "f"}', flowstate_tests.ctx()) $$) ->> 'sqlstate',
  'FS001', 'a pending list of another length is refused');
select is((select count(*) from flowstate.audit_log) + (select count(*) from flowstate.legacy_rows), :'audit_rows'::bigint,
          'nothing was written');

select * from finish();
rollback;
