-- An admin (NULL context) deletes any tenant's flow, and can erase what a DBA's direct DELETE
-- left of a flow (its history) by id: the tombstone has no tenant then. An id with nothing
-- at all is FS004, with no tombstone. A fork is a flow of its own: deleting its parent leaves
-- it (and its lineage) as it was.
begin;
\ir ../_helpers.sql
\ir ../_lifecycle.sql
select plan(6);

select flowstate_tests.make_flow(p_versions => 2, p_tenant => 2) as theirs, flowstate_tests.make_flow(p_versions => 2) as dropped \gset
select flowstate.flow_fork(:'theirs', 1, null, flowstate_tests.ctx(2)) as fork \gset
delete from flowstate.flows where flow_id = :'dropped';  -- a DBA's direct delete: audited, history kept
select jsonb_object_agg(c.relname, case when c.relname = 'audit_log' then 3 else 0 end) as leftover_rows
  from flowstate._flow_tables() t join pg_class c on c.oid = t \gset

set local role flowstate_admin;
select is(flowstate.flow_delete(:'theirs', 'admin cleanup', null) -> 'rows' -> 'flows', '1', 'an admin deletes another tenant''s flow');
select is(flowstate.flow_delete(:'dropped', 'leftovers', null) - '{erasure_id,erased_at,erased_by}'::text[],
          jsonb_build_object('flow_id', :'dropped', 'action', 'delete', 'client_account_id', null, 'engagement_id', null,
                             'flow_version', null, 'reason', 'leftovers',
                             'rows', :'leftover_rows'::jsonb),
          'and erases the history a direct DELETE left (three audit rows), with a tombstone without tenant');
select is(flowstate_tests.error_of(format($$ select flowstate.flow_delete(%L, 'x', null) $$, gen_random_uuid())) ->> 'sqlstate', 'FS004',
          'an id with nothing at all is FS004');
reset role;

select is((select count(*) from flowstate.audit_log where flow_id = :'dropped'), 0::bigint, 'the leftover history is gone');
select is(flowstate.flow_load_state((:'fork'::jsonb ->> 'flow_id')::uuid, flowstate_tests.ctx(2)), :'fork'::jsonb,
          'the fork of the deleted flow stays as it was, lineage included');
select is((select count(*) from flowstate.erasures where erased_tx = pg_current_xact_id()), 2::bigint,
          'two tombstones, none for the id with nothing');

select * from finish();
rollback;
