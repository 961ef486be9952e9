-- Each legal step of the discovery graph is accepted: the current phase joins
-- phases_completed, the version rises by one, and the last step completes the flow.
begin;
\ir ../_helpers.sql
select plan(10);

select flowstate_tests.make_flow() as flow_id \gset
set local role flowstate_app;

select is(flowstate.flow_transition_phase(:'flow_id', step.phase, step.version, flowstate_tests.ctx())
            - '{created_at,updated_at,metadata,checkpoints,flow_id,flow_type}'::text[],
          jsonb_build_object('flow_version', step.version + 1, 'current_phase', step.phase,
                             'phases_completed', to_jsonb(flowstate_tests.discovery_before(step.phase)),
                             'status', case step.phase when 'completed' then 'completed' else 'running' end),
          format('%s -> %s', step.from_phase, step.phase))
  from (values (1, 'data_import', 'field_mapping'),
               (2, 'field_mapping', 'data_cleansing'),
               (3, 'data_cleansing', 'asset_inventory'),
               (4, 'asset_inventory', 'dependency_analysis'),
               (5, 'dependency_analysis', 'tech_debt_analysis'),
               (6, 'tech_debt_analysis', 'completed')) as step(version, from_phase, phase)
 order by step.version;

select flowstate.flow_load_state(:'flow_id', flowstate_tests.ctx()) as done \gset
select is(:'done'::jsonb ->> 'status', 'completed', 'the flow is completed');
select is(:'done'::jsonb -> 'phases_completed',
          '["data_import", "field_mapping", "data_cleansing", "asset_inventory", "dependency_analysis", "tech_debt_analysis"]'::jsonb,
          'every phase is completed, in order');
select is(:'done'::jsonb -> 'state_data', '{"step": 0}'::jsonb, 'state_data is untouched by transitions');
reset role;
select is(flowstate_tests.audit_count(:'flow_id'), 7::bigint, 'one audit row per step');

select * from finish();
rollback;
