-- flow_diff has no rows when either version is unknown (0, beyond the current one), for
-- another tenant's flow and for a missing flow; a malformed context is FS001.
begin;
\ir ../_helpers.sql
select plan(7);

select flowstate_tests.make_flow(p_versions => 3) as flow_id \gset

select is((select count(*) from flowstate.flow_diff(:'flow_id', 1, 3, flowstate_tests.ctx())), 1::bigint,
          'versions 1 and 3 differ in one path (control)');
select is_empty(format($$ select from flowstate.flow_diff(%L, 0, 3, flowstate_tests.ctx()) $$, :'flow_id'),
                'an unknown from-version gives no rows');
select is_empty(format($$ select from flowstate.flow_diff(%L, 1, 4, flowstate_tests.ctx()) $$, :'flow_id'),
                'an unknown to-version gives no rows');
select is_empty(format($$ select from flowstate.flow_diff(%L, 1, null, flowstate_tests.ctx()) $$, :'flow_id'),
                'a NULL version gives no rows');
select is_empty(format($$ select from flowstate.flow_diff(%L, 1, 3, flowstate_tests.ctx(2)) $$, :'flow_id'),
                'another tenant''s flow gives no rows');
select is_empty($$ select from flowstate.flow_diff(gen_random_uuid(), 1, 2, flowstate_tests.ctx()) $$,
                'a missing flow gives no rows');
select throws_ok(format($$ select from flowstate.flow_diff(%L, 1, 3, '[]') $$, :'flow_id'), 'FS001', null,
                 'a malformed context is FS001');

select * from finish();
rollback;
