-- flow_retention_policies shows the policies as stored and, per flow type, the rule in force
-- (the type's own, else the default), so tools need not read tables; admins only.
begin;
\ir ../_helpers.sql
select plan(5);

set local role flowstate_admin;
select is(flowstate.flow_retention_policies() -> 'policies', '[]'::jsonb, 'no policies: an empty list');
insert into flowstate.retention_policies (flow_type, action, after, description) values
  (null, 'delete', '30 days', 'default: delete a month after'),
  ('crewai', 'compact', '7 days', 'crew runs: keep the result');
select is(flowstate.flow_retention_policies() -> 'policies',
          '[{"flow_type": null, "action": "delete", "after": "30 days", "after_seconds": 2592000, "description": "default: delete a month after"},
            {"flow_type": "crewai", "action": "compact", "after": "7 days", "after_seconds": 604800, "description": "crew runs: keep the result"}]'::jsonb,
          'the policies as stored, the default first');
select is((select r from jsonb_array_elements(flowstate.flow_retention_policies() -> 'rules') r where r ->> 'flow_type' = 'crewai'),
          '{"flow_type": "crewai", "action": "compact", "after": "7 days", "after_seconds": 604800, "is_default": false}'::jsonb,
          'a type with its own rule follows only it');
select is((select r from jsonb_array_elements(flowstate.flow_retention_policies() -> 'rules') r where r ->> 'flow_type' = 'discovery'),
          '{"flow_type": "discovery", "action": "delete", "after": "30 days", "after_seconds": 2592000, "is_default": true}'::jsonb,
          'other types follow the default');
reset role;

set local role flowstate_app;
select throws_ok($$ select flowstate.flow_retention_policies() $$, 'FS001', null, 'the application role gets FS001');
reset role;

select * from finish();
rollback;
