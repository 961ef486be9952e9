-- flow_stats with a tenant's context counts that tenant's flows only, and their checkpoints,
-- quarantined documents and audit rows; the figures that describe the whole server (bytes on
-- disk, function timings) are NULL for a tenant.
begin;
\ir ../_helpers.sql
select plan(7);

select flowstate_tests.make_flow(p_versions => 3, p_tenant => 71) as mine \gset
select flowstate_tests.make_flow_at('field_mapping', p_tenant => 71) as also_mine \gset
select flowstate_tests.make_flow(p_tenant => 72) as theirs \gset
select flowstate.flow_create_checkpoint(:'mine', null, null, flowstate_tests.ctx(71)) is not null as checkpointed \gset
select flowstate.flow_create_checkpoint(:'theirs', null, null, flowstate_tests.ctx(72)) is not null as checkpointed \gset
select flowstate.flow_handle_corrupted(:'theirs', flowstate_tests.ctx(72)) is not null as quarantined \gset

set local role flowstate_app;
select flowstate.flow_stats(flowstate_tests.ctx(71)) as stats \gset
reset role;

select is(:'stats'::jsonb -> 'flows',
          '[{"flow_type": "discovery", "current_phase": "data_import", "status": "running", "flows": 1},
            {"flow_type": "discovery", "current_phase": "field_mapping", "status": "running", "flows": 1}]'::jsonb,
          'the tenant''s flows by type, phase and status');
select is((:'stats'::jsonb ->> 'flows_total')::int, 2, 'two flows');
select is((:'stats'::jsonb ->> 'audit_rows')::bigint,
          flowstate_tests.audit_count(:'mine') + flowstate_tests.audit_count(:'also_mine'),
          'the audit rows of its flows only');
select is((:'stats'::jsonb ->> 'checkpoints')::int, 1, 'its checkpoint only');
select is((:'stats'::jsonb ->> 'quarantined')::int, 0, 'none of another tenant''s quarantined documents');
select is(array[:'stats'::jsonb -> 'audit_bytes', :'stats'::jsonb -> 'checkpoint_bytes', :'stats'::jsonb -> 'slowest_functions'],
          array['null'::jsonb, 'null', 'null'], 'no server-wide figures');
select is(:'stats'::jsonb ->> 'audit_rows_24h', :'stats'::jsonb ->> 'audit_rows', 'all of them written today');

select * from finish();
rollback;
