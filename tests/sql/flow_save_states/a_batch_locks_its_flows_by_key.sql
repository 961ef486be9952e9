-- A batch locks and reads its own flows through the primary key, however many flows other
-- tenants have: no scan of every flow (a coalesced batch used to read the whole table to
-- lock its few rows, 42 ms a batch at 100,000 flows).
begin;
\ir ../_helpers.sql
select plan(4);

select flowstate_tests.make_flow(p_tenant => 91) as a \gset
select flowstate_tests.make_flow(p_tenant => 91) as b \gset
-- 3,000 flows of other tenants.
select count(*) from (select flowstate_tests.make_flow(p_tenant => 92 + n % 50) from generate_series(1, 3000) n) made \gset
analyze flowstate.flows;

select * from flowstate_tests.reads_of('flowstate.flows') \gset before_
set local role flowstate_app;
select flowstate.flow_save_states(jsonb_build_array(
         jsonb_build_object('flow_id', :'a', 'expected_version', 1,
                            'state', flowstate_tests.doc(:'a', p_state_data => '{"step": 1}')),
         jsonb_build_object('flow_id', :'b', 'expected_version', 1,
                            'state', flowstate_tests.doc(:'b', p_state_data => '{"step": 1}'))),
       flowstate_tests.ctx(91)) as results \gset
reset role;
select is(jsonb_path_query_array(:'results'::jsonb, '$[*].ok'), '[true, true]', 'both items saved');
select is((select array_agg(flow_version::bigint order by flow_version) from flowstate.flows where flow_id in (:'a', :'b')),
          '{2,2}'::bigint[], 'each at version 2');
-- Locked, then read and written by key: a few index fetches per flow.
select flowstate_tests.reads_by_index_only('flowstate.flows', :before_seq_scans, :before_index_rows, 8, 'flows');

select * from finish();
rollback;
