-- A save on the fast path does not claim its request id first: the statement that writes the
-- flow and its audit row also remembers the result, with the flow's generation, and a retry
-- returns it. Should an entry of this generation appear between the save's read and its
-- write (a call with the same id that did not change the flow), the save is refused (FS001)
-- and changes nothing.
begin;
\ir ../_helpers.sql
select plan(7);

-- Before any call: expressions compiled earlier in the session would not count calls.
set local track_functions = 'all';
select flowstate_tests.make_flow() as id \gset
select gen_random_uuid() as request \gset
select flowstate.flow_save_state(:'id', flowstate_tests.doc(:'id', p_state_data => '{"step": 1}'), 1,
                                 flowstate_tests.ctx(), :'request') as saved \gset
select is_empty($$ select funcname from pg_stat_xact_user_functions
                    where schemaname = 'flowstate' and funcname in ('_request_lookup', '_request_store') $$,
                'the save neither claimed nor stored its request id in statements of their own');
select is((select r.result from flowstate.request_ids r where r.flow_id = :'id' and r.request_id = :'request'),
          :'saved'::jsonb, 'the returned document is remembered under the request id');
select is((select r.generation from flowstate.request_ids r where r.flow_id = :'id' and r.request_id = :'request'),
          flowstate._generation(:'id'), 'with the flow''s generation');
select is(flowstate.flow_save_state(:'id', flowstate_tests.doc(:'id', p_state_data => '{"step": 1}'), 1,
                                    flowstate_tests.ctx(), :'request'),
          :'saved'::jsonb, 'a retry returns it');

-- The race, staged: the entry is there when the write runs, after the row was read.
select gen_random_uuid() as taken \gset
insert into flowstate.request_ids (flow_id, request_id, operation, generation, result)
values (:'id', :'taken', 'flow_create_checkpoint', flowstate._generation(:'id'), '"c"');
select flowstate_tests.row_of(:'id') as before \gset
set local role flowstate_owner;
select flowstate_tests.outcome_of(format($$
  select flowstate._write_flow(f, f, 'save', null, null, %L, 'flow_save_state') from flowstate.flows f where f.flow_id = %L $$,
  :'taken', :'id')) as refused \gset
reset role;
select is(:'refused'::jsonb ->> 'sqlstate', 'FS001', 'a write meeting an entry of its generation is refused');
select is(flowstate_tests.row_of(:'id'), :'before'::jsonb, 'and the flow is unchanged');
select is((select r.result from flowstate.request_ids r where r.flow_id = :'id' and r.request_id = :'taken'),
          '"c"'::jsonb, 'and so is the entry');

select * from finish();
rollback;
