-- flowstate.flows has two audit triggers with one body: writes made as flowstate_owner (every
-- flow_* function) run a plain copy, which skips pinning search_path again; everyone else runs
-- the SECURITY DEFINER original, which may write audit rows they may not. Exactly one fires
-- per write, and both record the same content.
begin;
\ir ../_helpers.sql
select plan(6);

select is((select a.prosrc from pg_proc a where a.oid = 'flowstate._audit_flow_change_as_owner()'::regprocedure),
          (select o.prosrc from pg_proc o where o.oid = 'flowstate._audit_flow_change()'::regprocedure),
          'the owner''s copy has the same body as the SECURITY DEFINER original');
select ok(not (select prosecdef from pg_proc where oid = 'flowstate._audit_flow_change_as_owner()'::regprocedure)
          and (select prosecdef from pg_proc where oid = 'flowstate._audit_flow_change()'::regprocedure),
          'only the original is SECURITY DEFINER');

-- The same edit, once through a function (as flowstate_owner) and once directly by a DBA.
select flowstate_tests.make_flow() as by_function \gset
select flowstate_tests.make_flow() as by_dba \gset
select flowstate.flow_put_state(:'by_function', flowstate.flow_load_state(:'by_function', flowstate_tests.ctx())
                                                || '{"state_data": {"edited": true}}', null, flowstate_tests.ctx()) is not null as put \gset
set local role flowstate_admin;
update flowstate.flows set state_data = '{"edited": true}' where flow_id = :'by_dba';
reset role;

select is(flowstate_tests.audit_count(:'by_function'), 2::bigint, 'a function''s write is audited once');
select is(flowstate_tests.audit_count(:'by_dba'), 2::bigint, 'a DBA''s direct write is audited once');
select is((select operation || ' by ' || actor_role from flowstate.audit_log where flow_id = :'by_dba' order by audit_id desc limit 1),
          'admin_update by flowstate_admin', 'the DBA''s write is attributed to the DBA');
select is((select snapshot - '{flow_id,created_at}'::text[] from flowstate.audit_log where flow_id = :'by_function' order by audit_id desc limit 1),
          (select snapshot - '{flow_id,created_at}'::text[] from flowstate.audit_log where flow_id = :'by_dba' order by audit_id desc limit 1),
          'both record the same content');

select * from finish();
rollback;
