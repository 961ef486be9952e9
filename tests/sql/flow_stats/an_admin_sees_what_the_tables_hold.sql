-- flow_stats with a NULL context (an admin) reports what the tables hold, across tenants:
-- the same figures a DBA gets by counting them, the bytes on disk, the track_functions
-- setting, and at most p_top of the slowest flowstate functions, slowest first.
begin;
\ir ../_helpers.sql
select plan(13);

select flowstate_tests.make_flow(p_versions => 2, p_tenant => 1) as first_id \gset
select flowstate_tests.make_flow_at('field_mapping', p_tenant => 2) as second_id \gset
select flowstate.flow_create_checkpoint(:'first_id', null, 'kept', flowstate_tests.ctx(1)) is not null as checkpointed \gset
select flowstate.flow_handle_corrupted(:'second_id', flowstate_tests.ctx(2)) is not null as quarantined \gset

set local role flowstate_admin;
select flowstate.flow_stats(null) as stats \gset
reset role;

select is(:'stats'::jsonb -> 'flows',
          (select jsonb_agg(jsonb_build_object('flow_type', flow_type, 'current_phase', current_phase,
                                               'status', status, 'flows', n) order by flow_type, current_phase, status)
             from (select flow_type, current_phase, status, count(*) as n from flowstate.flows group by 1, 2, 3) c),
          'flows by type, phase and status, every tenant''s');
select is((:'stats'::jsonb ->> 'flows_total')::bigint, (select count(*) from flowstate.flows), 'their total');
select is((:'stats'::jsonb ->> 'audit_rows')::bigint, (select count(*) from flowstate.audit_log), 'audit rows');
select is((:'stats'::jsonb ->> 'audit_rows_24h')::bigint,
          (select count(*) from flowstate.audit_log where logged_at >= now() - interval '24 hours'),
          'audit rows of the last 24 hours');
select is((:'stats'::jsonb ->> 'audit_bytes_24h')::bigint,
          (select sum(pg_column_size(a.*))::bigint from flowstate.audit_log a where logged_at >= now() - interval '24 hours'),
          'and their size');
select is((:'stats'::jsonb ->> 'audit_bytes')::bigint,
          (select sum(pg_total_relation_size(inhrelid))::bigint from pg_inherits where inhparent = 'flowstate.audit_log'::regclass),
          'the audit trail''s partitions on disk');
select is((:'stats'::jsonb ->> 'checkpoints')::bigint, (select count(*) from flowstate.checkpoints), 'checkpoints');
select is((:'stats'::jsonb ->> 'checkpoint_bytes')::bigint, pg_total_relation_size('flowstate.checkpoints'),
          'and their bytes on disk');
select is(array[(:'stats'::jsonb ->> 'quarantined')::bigint, (:'stats'::jsonb ->> 'quarantined_24h')::bigint],
          array[(select count(*) from flowstate.quarantine),
                (select count(*) from flowstate.quarantine where archived_at >= now() - interval '24 hours')],
          'quarantined documents, and those of the last 24 hours');
select is(:'stats'::jsonb ->> 'track_functions', current_setting('track_functions'), 'the track_functions setting');
select is(jsonb_typeof(:'stats'::jsonb -> 'slowest_functions'), 'array', 'the slowest functions are a list');
select is(flowstate.flow_stats(null, 0) -> 'slowest_functions', '[]'::jsonb, 'of at most p_top entries');
select ok((with s as (select f, i from jsonb_array_elements(flowstate.flow_stats(null, 50) -> 'slowest_functions')
                                       with ordinality x(f, i))
           select coalesce(bool_and((p.f ->> 'mean_ms')::float8 >= (n.f ->> 'mean_ms')::float8), true)
             from s p join s n on n.i = p.i + 1),
          'slowest first');

select * from finish();
rollback;
