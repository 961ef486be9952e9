-- flow_load_states_parts gives the rows of flow_load_states (this tenant's flows among the
-- ids, in the order given) with each document in flow_load_state_parts' two parts; the same
-- batch limit and context check (an admin's NULL context sees every tenant).
begin;
\ir ../_helpers.sql
select plan(6);

update flowstate.settings set value = 3 where name = 'max_batch_items';
select flowstate_tests.make_flow(p_versions => 1) as a \gset
select flowstate_tests.make_flow(p_versions => 2) as b \gset
select flowstate_tests.make_flow(p_tenant => 2) as theirs \gset
set local role flowstate_app;

select results_eq(
  format($$ select flow_id, document || jsonb_build_object('state_data', state_data)
              from flowstate.flow_load_states_parts(array[%L, %L, %L]::uuid[], flowstate_tests.ctx()) $$, :'b', :'theirs', :'a'),
  format($$ select flow_id, document from flowstate.flow_load_states(array[%L, %L, %L]::uuid[], flowstate_tests.ctx()) $$, :'b', :'theirs', :'a'),
  'the rows of flow_load_states, in order, each document whole again with its state_data');
select ok(not exists (select from flowstate.flow_load_states_parts(array[:'a', :'b']::uuid[], flowstate_tests.ctx())
                       where document ? 'state_data'),
          'the document part has no state_data');
select is_empty(format($$ select * from flowstate.flow_load_states_parts(array[%L, %L]::uuid[], flowstate_tests.ctx()) $$,
                       :'theirs', gen_random_uuid()),
                'another tenant''s flow and a missing id are absent');
select is((select jsonb_build_array(o ->> 'sqlstate', o -> 'detail' ->> 'argument', o -> 'detail' ->> 'setting')
             from flowstate_tests.outcome_of(format($$ select * from flowstate.flow_load_states_parts(array[%L, %L, %L, %L]::uuid[], flowstate_tests.ctx()) $$,
                                                    :'a', :'a', :'b', :'b')) o),
          '["FS001", "p_flow_ids", "max_batch_items"]'::jsonb, 'more ids than max_batch_items is FS001 naming the argument and the setting');
select is(flowstate_tests.context_refusals(format($$ select * from flowstate.flow_load_states_parts(array[%L]::uuid[], %%s) $$, :'a')),
          '{FS001,FS001,FS001}', 'a malformed context, one that is not an object and NULL are FS001');
reset role;
select is((select count(*) from flowstate.flow_load_states_parts(array[:'a', :'theirs']::uuid[], null)), 2::bigint,
          'an admin''s NULL context loads every tenant''s flows');

select * from finish();
rollback;
