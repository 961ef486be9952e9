-- The tombstone flow_delete returns, and keeps in flowstate.erasures: the flow, its tenant
-- and last version, who (the context's user, the calling role: set by the database), when,
-- the reason, and how many rows of each table went. Rows of tables that had none count 0.
begin;
\ir ../_helpers.sql
\ir ../_lifecycle.sql
select plan(5);

select flowstate_tests.make_flow(p_versions => 3) as flow_id \gset
select flowstate.flow_create_checkpoint(:'flow_id', null, 'cp', flowstate_tests.ctx()) is not null as checkpointed \gset

set local role flowstate_app;
select flowstate.flow_delete(:'flow_id', 'customer asked (ticket 77)', flowstate_tests.ctx(1, 4)) as tombstone \gset
reset role;

select is(:'tombstone'::jsonb - '{erasure_id,erased_at,rows}'::text[],
          jsonb_build_object('flow_id', :'flow_id', 'action', 'delete',
                             'client_account_id', flowstate_tests.ctx() ->> 'client_account_id',
                             'engagement_id', flowstate_tests.ctx() ->> 'engagement_id', 'flow_version', 3,
                             'erased_by', jsonb_build_object('user_id', flowstate_tests.ctx(1, 4) ->> 'user_id', 'role', 'flowstate_app'),
                             'reason', 'customer asked (ticket 77)'),
          'the flow, its tenant and version, who and why');
select is(:'tombstone'::jsonb -> 'rows',
          '{"flows": 1, "audit_log": 4, "checkpoints": 1, "quarantine": 0, "pending_feedback": 0, "legacy_rows": 0, "legacy_pending_feedback": 0, "migration_ledger": 0}'::jsonb
          || (select coalesce(jsonb_object_agg(c.relname, 0), '{}') from flowstate._flow_tables() t join pg_class c on c.oid = t
               where c.relname not in ('flows', 'audit_log', 'checkpoints', 'quarantine', 'pending_feedback', 'legacy_rows',
                                       'legacy_pending_feedback', 'migration_ledger')),
          'the rows of every table that went (three saves and a checkpoint in the audit trail)');
select is(:'tombstone'::jsonb ->> 'erased_at', flowstate._iso(now()), 'when');
select is(flowstate._tombstone((select e from flowstate.erasures e where flow_id = :'flow_id')), :'tombstone'::jsonb,
          'the erasure log keeps the same');
select is((select erased_tx = pg_current_xact_id() from flowstate.erasures where flow_id = :'flow_id'), true,
          'with the transaction that erased it');

select * from finish();
rollback;
