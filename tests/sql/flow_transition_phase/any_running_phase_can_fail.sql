-- Every non-terminal phase may move to failed: status becomes failed, failed_phase records
-- the phase that failed, and that phase is not marked completed.
begin;
\ir ../_helpers.sql
select plan(6);

set local role flowstate_app;
select is(flowstate.flow_transition_phase(f.flow_id, 'failed', null, flowstate_tests.ctx())
            - '{created_at,updated_at,metadata,checkpoints,flow_id,flow_type,flow_version}'::text[],
          jsonb_build_object('current_phase', 'failed', 'status', 'failed', 'failed_phase', f.phase,
                             'phases_completed', to_jsonb(flowstate_tests.discovery_before(f.phase))),
          format('%s -> failed records failed_phase %s and completes nothing', f.phase, f.phase))
  from (select phase, flowstate_tests.make_flow_at(phase) as flow_id
          from unnest(array['data_import', 'field_mapping', 'data_cleansing', 'asset_inventory',
                            'dependency_analysis', 'tech_debt_analysis']) with ordinality as p(phase, n)
         order by n) f;

select * from finish();
rollback;
