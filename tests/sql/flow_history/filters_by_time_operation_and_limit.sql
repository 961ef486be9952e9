-- flow_history's filters: p_since (rows logged at or after it), p_operation (one kind),
-- p_limit (the first n, oldest first), alone and together; an unknown operation gives no rows.
begin;
\ir ../_helpers.sql
select plan(8);

select flowstate_tests.make_flow(p_versions => 4) as flow_id \gset
select flowstate.flow_transition_phase(:'flow_id', 'field_mapping', null, flowstate_tests.ctx()) is not null as moved \gset
select flowstate.flow_save_state(:'flow_id', flowstate_tests.doc(:'flow_id', 'field_mapping', '{data_import}', '{"step": 9}'), 5,
                                 flowstate_tests.ctx()) is not null as saved \gset
-- Versions 1 and 2 were logged three days ago (fabricated: one transaction has one now()).
select flowstate_tests.backdate_audit(:'flow_id', 2, now() - interval '3 days') as moved_rows \gset

select results_eq(format($$ select new_version from flowstate.flow_history(%L, flowstate_tests.ctx(), p_since => now() - interval '1 day') $$, :'flow_id'),
                  array[3, 4, 5, 6]::bigint[], 'p_since leaves out older rows');
select results_eq(format($$ select new_version from flowstate.flow_history(%L, flowstate_tests.ctx(), p_since => now() - interval '3 days') $$, :'flow_id'),
                  array[1, 2, 3, 4, 5, 6]::bigint[], 'rows logged exactly at p_since are included');
select is_empty(format($$ select from flowstate.flow_history(%L, flowstate_tests.ctx(), p_since => now() + interval '1 second') $$, :'flow_id'),
                'a p_since in the future gives no rows');
select results_eq(format($$ select new_version from flowstate.flow_history(%L, flowstate_tests.ctx(), p_operation => 'save') $$, :'flow_id'),
                  array[2, 3, 4, 6]::bigint[], 'p_operation keeps one kind of row');
select results_eq(format($$ select operation from flowstate.flow_history(%L, flowstate_tests.ctx(), p_limit => 2) $$, :'flow_id'),
                  array['create', 'save'], 'p_limit keeps the oldest rows');
select results_eq(format($$ select new_version from flowstate.flow_history(%L, flowstate_tests.ctx(), p_since => now() - interval '1 day',
                                                                          p_operation => 'save', p_limit => 2) $$, :'flow_id'),
                  array[3, 4]::bigint[], 'the filters combine');
select is_empty(format($$ select from flowstate.flow_history(%L, flowstate_tests.ctx(), p_operation => 'no_such_operation') $$, :'flow_id'),
                'an unknown operation gives no rows');
select is((select count(*) from flowstate.flow_history(:'flow_id', flowstate_tests.ctx(), p_operation => 'transition', p_limit => 10)),
          1::bigint, 'a limit above the count returns every match');

select * from finish();
rollback;
