-- flow_validate_phase_transition answers whether a flow in a given document may move to
-- a phase under its type's graph: true for the next phase and failed, false otherwise.
begin;
\ir ../_helpers.sql
select plan(14);

select gen_random_uuid() as flow_id \gset
set local role flowstate_app;

select is(flowstate.flow_validate_phase_transition(flowstate_tests.doc(:'flow_id', c.phase, flowstate_tests.discovery_before(c.phase))
                                                   || case when c.phase = 'completed' then '{"status": "completed"}'::jsonb
                                                           else '{}'::jsonb end,
                                                   c.new_phase),
          c.allowed, format('%s -> %s: %s', c.phase, coalesce(c.new_phase, 'NULL'), c.allowed))
  from (values ('data_import', 'field_mapping', true),
               ('data_import', 'failed', true),
               ('data_import', 'data_cleansing', false),
               ('data_import', 'completed', false),
               ('data_import', 'data_import', false),
               ('data_import', 'no_such_phase', false),
               ('data_import', '', false),
               ('data_import', null, false),
               ('data_cleansing', 'field_mapping', false),
               ('data_cleansing', 'asset_inventory', true),
               ('tech_debt_analysis', 'completed', true),
               ('tech_debt_analysis', 'failed', true),
               ('completed', 'failed', false),
               ('completed', 'data_import', false)) as c(phase, new_phase, allowed);

select * from finish();
rollback;
