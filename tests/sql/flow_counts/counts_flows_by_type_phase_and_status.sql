-- flow_counts: one row per (flow_type, current_phase, status) with its number of flows, for
-- the calling tenant only, or for every tenant with an admin's NULL context (which the
-- application may not pass). Nothing is written.
begin;
\ir ../_helpers.sql
\ir ../_lifecycle.sql
select plan(4);

select flowstate_tests.make_flow(), flowstate_tests.make_flow(), flowstate_tests.make_flow_at('field_mapping'),
       flowstate_tests.make_flow_at('failed'), flowstate_tests.make_flow_at('completed'),
       flowstate_tests.make_flow(p_tenant => 2), flowstate_tests.make_flow_at('failed', p_tenant => 2) \gset
select flowstate.flow_record_step(gen_random_uuid(), 'research', '{}', 'research', flowstate_tests.ctx(), p_flow_type => 'crewai') is not null as crew \gset
select md5(string_agg(f::text, ',' order by flow_id)) as flows_before from flowstate.flows f \gset

set local role flowstate_app;
select results_eq($$ select * from flowstate.flow_counts(flowstate_tests.ctx(1)) $$,
                  $$ values ('crewai', 'research', 'running', 1::bigint), ('discovery', 'completed', 'completed', 1),
                            ('discovery', 'data_import', 'running', 2), ('discovery', 'failed', 'failed', 1),
                            ('discovery', 'field_mapping', 'running', 1) $$,
                  'tenant 1''s flows by type, phase and status');
select is(flowstate_tests.context_refusals($$ select * from flowstate.flow_counts(%s) $$), '{FS001,FS001,FS001}',
          'a malformed context and a NULL one are FS001 for the application');
reset role;

set local role flowstate_admin;
select results_eq($$ select * from flowstate.flow_counts(null) $$,
                  $$ select flow_type, current_phase::text, status::text, count(*) from flowstate.flows group by 1, 2, 3 order by 1, 2, 3 $$,
                  'an admin''s NULL context counts every tenant''s flows (whatever else the database holds)');
reset role;
select is((select md5(string_agg(f::text, ',' order by flow_id)) from flowstate.flows f), :'flows_before', 'nothing changed');

select * from finish();
rollback;
