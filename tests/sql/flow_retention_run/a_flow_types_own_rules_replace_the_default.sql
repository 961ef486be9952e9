-- Rules apply per flow type: a type with rules of its own follows only them (a type that
-- compacts is not deleted by the default rule), other types follow the default rules
-- (flow_type NULL). Rules are rows DBAs edit: one per type and action.
begin;
\ir ../_helpers.sql
\ir ../_lifecycle.sql
select plan(4);

select flowstate_tests.make_flow_at('completed') as discovery_done \gset
select flowstate.flow_record_step(gen_random_uuid(), 'completed', '{}', 'done', flowstate_tests.ctx(), p_flow_type => 'crewai') ->> 'flow_id' as crew_done \gset
select flowstate_tests.backdate_flow(:'discovery_done', now() - interval '60 days'), flowstate_tests.backdate_flow(:'crew_done', now() - interval '60 days') \gset

set local role flowstate_admin;
insert into flowstate.retention_policies (flow_type, action, after, description) values
  (null, 'delete', '30 days', 'default: delete a month after'),
  ('crewai', 'compact', '7 days', 'crew runs: keep the result, drop the steps');
select throws_ok($$ insert into flowstate.retention_policies (flow_type, action, after) values ('crewai', 'compact', '1 day') $$,
                 '23505', null, 'one rule per type and action');
select throws_ok($$ insert into flowstate.retention_policies (flow_type, action, after) values (null, 'archive', '1 day') $$,
                 '23514', null, 'actions are delete and compact');
select is(array(select format('%s %s', f ->> 'action', f ->> 'flow_id') from jsonb_array_elements(flowstate.flow_retention_run(10, false) -> 'flows') f
                 order by 1),
          array['compact ' || :'crew_done', 'delete ' || :'discovery_done'],
          'the crewai flow follows its type''s rule only, the discovery flow the default');
reset role;
select is(array(select flow_id from flowstate.flows where flow_id in (:'crew_done', :'discovery_done')), array[:'crew_done']::uuid[],
          'so the crewai flow is kept, compacted');

select * from finish();
rollback;
