-- flow_handle_corrupted on a reused id archives the new flow's document; the new flow's
-- history lists that archive and reset only, never the deleted flow's quarantine.
begin;
\ir ../_helpers.sql
\ir _reused_id.sql
select plan(3);

select * from flowstate_tests.reuse_flow_id() \gset
set local role flowstate_app;
select flowstate.flow_handle_corrupted(:'flow_id', flowstate_tests.ctx_b()) ->> 'quarantine_id' as b_quarantine \gset
select is(array(select row(operation, label)::text from flowstate.flow_history(:'flow_id', flowstate_tests.ctx_b()) where operation <> 'create'),
          array[row('archive', :'b_quarantine')::text, row('reset', :'b_quarantine')::text],
          'B''s history lists its own archive and reset');
select ok(not exists (select from flowstate.flow_history(:'flow_id', flowstate_tests.ctx_b()) where label = :'a_quarantine'),
          'and nothing of A''s quarantine');
reset role;
select is((select document -> 'state_data' from flowstate.quarantine where quarantine_id = :'b_quarantine'), '{"mine": "B"}'::jsonb,
          'the archived document is B''s');

select * from finish();
rollback;
