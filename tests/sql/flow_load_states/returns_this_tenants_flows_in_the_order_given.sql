-- One row (flow_id, document) per requested flow the tenant holds, in the order of
-- p_flow_ids; missing ids and other tenants' flows are simply absent. The documents are the
-- full ones flow_load_state returns.
begin;
\ir ../_helpers.sql
select plan(6);

select flowstate_tests.make_flow(p_versions => 1) as a \gset
select flowstate_tests.make_flow(p_versions => 2) as b \gset
select flowstate_tests.make_flow(p_versions => 3) as c \gset
select flowstate_tests.make_flow(p_tenant => 2) as theirs \gset
set local role flowstate_app;

select results_eq(format($$ select flow_id from flowstate.flow_load_states(array[%L, %L, %L, %L, %L]::uuid[], flowstate_tests.ctx()) $$,
                         :'c', :'theirs', :'a', gen_random_uuid(), :'b'),
                  format($$ values (%L::uuid), (%L), (%L) $$, :'c', :'a', :'b'),
                  'this tenant''s flows, in the order asked; the other tenant''s and the missing id are absent');
select is_empty(format($$ select flow_id, document from flowstate.flow_load_states(array[%L, %L, %L]::uuid[], flowstate_tests.ctx()) l
                           where document is distinct from flowstate.flow_load_state(l.flow_id, flowstate_tests.ctx()) $$,
                       :'a', :'b', :'c'),
                'each document is what flow_load_state returns, state_data included');
select is((select count(*) from flowstate.flow_load_states(array[:'theirs']::uuid[], flowstate_tests.ctx(2, 9))), 1::bigint,
          'the other tenant loads its own flow');
select is_empty($$ select * from flowstate.flow_load_states('{}', flowstate_tests.ctx()) $$, 'no ids, no rows');
select is_empty($$ select * from flowstate.flow_load_states(null, flowstate_tests.ctx()) $$, 'NULL ids, no rows');
reset role;
select is((select count(*) from flowstate.flow_load_states(array[:'a', :'theirs']::uuid[], null)), 2::bigint,
          'an admin''s NULL context loads every tenant''s flows');

select * from finish();
rollback;
