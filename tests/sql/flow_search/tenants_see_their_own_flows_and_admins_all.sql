-- Tenant isolation: a tenant's search lists only its flows (a filter naming another tenant
-- finds nothing), an admin with a NULL context searches every tenant, and only admins may
-- pass a NULL context.
begin;
\ir ../_helpers.sql
\ir ../_lifecycle.sql
select plan(5);

select flowstate_tests.make_flow(p_tenant => 1) as mine, flowstate_tests.make_flow(p_tenant => 2) as theirs \gset

set local role flowstate_app;
select is(array(select d ->> 'flow_id' from jsonb_array_elements(flowstate.flow_search('{}', flowstate_tests.ctx(1)) -> 'flows') d),
          array[:'mine'], 'tenant 1 finds its flow only');
select is(flowstate.flow_search(jsonb_build_object('client_account_id', flowstate_tests.ctx(2) ->> 'client_account_id',
                                                   'engagement_id', flowstate_tests.ctx(2) ->> 'engagement_id'),
                                flowstate_tests.ctx(1)) -> 'flows',
          '[]'::jsonb, 'naming tenant 2 in the filter finds nothing');
select is(flowstate_tests.context_refusals($$ select flowstate.flow_search('{}', %s) $$), '{FS001,FS001,FS001}',
          'a malformed context and a NULL one are FS001 for the application');
reset role;

set local role flowstate_admin;
select ok(array(select d ->> 'flow_id' from jsonb_array_elements(flowstate.flow_search('{}', null) -> 'flows') d) @> array[:'mine', :'theirs'],
          'an admin''s NULL context finds both tenants'' flows (the newest of all)');
select is(array(select d ->> 'flow_id' from jsonb_array_elements(flowstate.flow_search(
                  jsonb_build_object('client_account_id', flowstate_tests.ctx(2) ->> 'client_account_id'), null) -> 'flows') d),
          array[:'theirs'], 'and may narrow it to one tenant');
reset role;

select * from finish();
rollback;
