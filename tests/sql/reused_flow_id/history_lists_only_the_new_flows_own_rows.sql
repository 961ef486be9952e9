-- flow_history of a reused id lists the new flow's rows only: none of the deleted flow's
-- saves, checkpoints, archives or its deletion, with their users and changed values, even
-- when the same tenant reuses the id.
begin;
\ir ../_helpers.sql
\ir _reused_id.sql
select plan(6);

select * from flowstate_tests.reuse_flow_id() \gset
set local role flowstate_app;
select is(array(select row(operation, new_version, actor_user_id)::text from flowstate.flow_history(:'flow_id', flowstate_tests.ctx_b())),
          array[row('create', 1::bigint, (flowstate_tests.ctx_b() ->> 'user_id')::uuid)::text],
          'B''s history is its creation, by B''s user');
select is_empty(format($$ select * from flowstate.flow_history(%L, flowstate_tests.ctx_b(), p_operation => 'checkpoint') $$, :'flow_id'),
                'no checkpoint of A is listed');
select is_empty(format($$ select * from flowstate.flow_history(%L, flowstate_tests.ctx_b(), p_since => now() - interval '1 day')
                           where operation <> 'create' $$, :'flow_id'),
                'nor anything else of A, however far back B asks');
select is(flowstate.flow_save_state(:'flow_id', flowstate_tests.b_doc(:'flow_id', '{"mine": "B2"}'), 1, flowstate_tests.ctx_b())
            ->> 'flow_version',
          '2', 'B saves on');
select is(array(select new_version from flowstate.flow_history(:'flow_id', flowstate_tests.ctx_b())), '{1,2}'::bigint[],
          'and its history is its own two versions');
reset role;

-- The same tenant reusing the id sees no more.
select * from flowstate_tests.reuse_flow_id(p_b_tenant => 1) \gset
set local role flowstate_app;
select is(array(select operation from flowstate.flow_history(:'flow_id', flowstate_tests.ctx_b(1))), '{create}'::text[],
          'a new flow of A''s own tenant lists only its creation too');
reset role;

select * from finish();
rollback;
