-- flow_delete erases everything that holds a flow's content: afterwards no row of any table
-- of schema flowstate (every partition of the audit trail included) contains the flow's id
-- or any of its content, but for its tombstone, which holds the id and no content. A flow
-- with content everywhere: imported legacy rows, import record and legacy pause, pending
-- feedback, saved steps (their phase names counted in the tallies), a checkpoint, a quarantined
-- document, audit rows in this month's partition and in an old one. Its neighbour, another flow, is untouched.
begin;
\ir ../_helpers.sql
\ir ../_lifecycle.sql
select plan(8);

select flowstate_tests.make_rich_flow('unique-content-7f3a') as flow_id,
       flowstate_tests.make_rich_flow('neighbour-content-c21e') as neighbour \gset
select md5(string_agg(a::text, ',' order by audit_id)) as neighbour_history from flowstate.audit_log a where flow_id = :'neighbour' \gset

select is(array(select table_name from flowstate_tests.traces('unique-content-7f3a')),
          '{flowstate.audit_log,flowstate.checkpoints,flowstate.flow_tallies,flowstate.flows,flowstate.legacy_pending_feedback,flowstate.legacy_rows,flowstate.migration_ledger,flowstate.pending_feedback,flowstate.quarantine}'::text[],
          'before: the content is in every kind of table');
select ok((select count(*) from flowstate.audit_log_y2020m01 where flow_id = :'flow_id') > 0, 'and in an old audit partition');

set local role flowstate_app;
select flowstate.flow_delete(:'flow_id', 'erasure request 42', flowstate_tests.ctx(1, 9)) as tombstone \gset
reset role;

select is_empty($$ select * from flowstate_tests.traces('unique-content-7f3a') $$, 'after: the content is nowhere');
select is(array(select table_name from flowstate_tests.traces(:'flow_id')), '{flowstate.erasures}'::text[],
          'the id is only in the erasure log');
select is((select count(*) from flowstate.erasures where flow_id = :'flow_id'), 1::bigint, 'one tombstone');
select is_empty(format($$ select * from flowstate.erasures e where e.flow_id = %L
                           and (e::text like '%%unique-content%%' or e::text like '%%rich%%') $$, :'flow_id'),
                'which holds no content (nor the external id)');
select is((select md5(string_agg(a::text, ',' order by audit_id)) from flowstate.audit_log a where flow_id = :'neighbour'),
          :'neighbour_history', 'the neighbour''s history is untouched');
select ok(flowstate.flow_load_state(:'neighbour', flowstate_tests.ctx()) is not null
          and (select count(*) from flowstate_tests.traces('neighbour-content-c21e')) = 8, 'and so is everything else of it');

select * from finish();
rollback;
