-- flow_counts gives the number of flows by type, current phase and status: a tenant's own
-- with its context, every tenant's with an admin's NULL context (FS001 for anyone else).
begin;
\ir ../_helpers.sql
select plan(4);

select flowstate_tests.make_flow(p_tenant => 81) as a \gset
select flowstate_tests.make_flow(p_tenant => 81) as b \gset
select flowstate_tests.make_flow_at('completed', p_tenant => 81) as c \gset
select flowstate_tests.make_flow(p_tenant => 82) as d \gset

set local role flowstate_app;
select results_eq(format($$ select * from flowstate.flow_counts(%L) $$, flowstate_tests.ctx(81)),
                  $$ values ('discovery'::text, 'completed'::text, 'completed'::text, 1::bigint),
                            ('discovery', 'data_import', 'running', 2) $$,
                  'the tenant''s own flows, ordered by type, phase and status');
select throws_ok($$ select * from flowstate.flow_counts(null) $$, 'FS001', null,
                 'every tenant''s is FS001 for the application role');
reset role;

set local role flowstate_admin;
select results_eq($$ select * from flowstate.flow_counts(null) $$,
                  $$ select flow_type::text, current_phase::text, status::text, count(*)
                       from flowstate.flows group by 1, 2, 3 order by 1, 2, 3 $$,
                  'an admin counts every tenant''s flows');
reset role;
select is((select sum(flows) from flowstate.flow_counts(flowstate_tests.ctx(82)))::int, 1, 'another tenant has its own count');

select * from finish();
rollback;
