-- flow_diff on a reused id compares the new flow's versions only: a version only the
-- deleted flow reached gives no rows, and two versions of the new flow differ by what the
-- new flow changed.
begin;
\ir ../_helpers.sql
\ir _reused_id.sql
select plan(3);

select * from flowstate_tests.reuse_flow_id() \gset
set local role flowstate_app;
select is_empty(format($$ select * from flowstate.flow_diff(%L, 1, 4, flowstate_tests.ctx_b()) $$, :'flow_id'),
                'no diff against a version only A reached');
select is_empty(format($$ select * from flowstate.flow_diff(%L, 2, 3, flowstate_tests.ctx_b()) $$, :'flow_id'),
                'nor between two of A''s versions');
select flowstate.flow_save_state(:'flow_id', flowstate_tests.b_doc(:'flow_id', '{"mine": "B2"}'), 1, flowstate_tests.ctx_b())
         is not null as saved \gset
select results_eq(format($$ select path, change, old_value, new_value from flowstate.flow_diff(%L, 1, 2, flowstate_tests.ctx_b()) $$, :'flow_id'),
                  $$ values ('{state_data,mine}'::text[], 'changed', '"B"'::jsonb, '"B2"'::jsonb) $$,
                  'B''s versions 1 and 2 differ by B''s change');
reset role;

select * from finish();
rollback;
