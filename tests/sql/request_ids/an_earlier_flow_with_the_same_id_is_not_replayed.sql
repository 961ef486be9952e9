-- A request id answers for the flow that has the id now: after a DBA deletes a flow and the
-- id is created again, the earlier flow's request id (kept until pruned) is not replayed;
-- the new call writes, and its result replaces the old one. Told apart by the flows'
-- generations, so also when the delete and the re-create share one transaction (and now()).
begin;
\ir ../_helpers.sql
select plan(6);

select gen_random_uuid() as id \gset
select gen_random_uuid() as request \gset
select flowstate.flow_save_state(:'id', flowstate_tests.doc(:'id', p_state_data => '{"life": 1}'), null, flowstate_tests.ctx(),
                                 :'request') is not null as ok \gset
-- That was an hour ago; then a DBA deleted the flow.
update flowstate.request_ids set created_at = created_at - interval '1 hour' where flow_id = :'id';
delete from flowstate.flows where flow_id = :'id';

select is(flowstate.flow_save_state(:'id', flowstate_tests.doc(:'id', p_state_data => '{"life": 2}'), null, flowstate_tests.ctx(),
                                    :'request') ->> 'flow_version', '1', 'the id is created again');
select is(flowstate.flow_load_state(:'id', flowstate_tests.ctx()) -> 'state_data', '{"life": 2}'::jsonb,
          'with the new state, not the earlier flow''s answer');
select is((select created_at from flowstate.request_ids where flow_id = :'id' and request_id = :'request'), now(),
          'the request id now answers for the new flow');
select is(flowstate.flow_save_state(:'id', flowstate_tests.doc(:'id', p_state_data => '{"life": 3}'), null, flowstate_tests.ctx(),
                                    :'request') ->> 'flow_version', '1', 'and a retry of it is answered');

-- Delete and re-create inside one transaction: the new flow's created_at equals the request
-- id's, and only the generation tells the two flows apart.
select gen_random_uuid() as again \gset
select flowstate.flow_save_state(:'again', flowstate_tests.doc(:'again', p_state_data => '{"life": 1}'), null, flowstate_tests.ctx(),
                                 :'request') is not null as ok \gset
delete from flowstate.flows where flow_id = :'again';
select flowstate.flow_save_state(:'again', flowstate_tests.doc(:'again', p_state_data => '{"life": 2}'), null,
                                 flowstate_tests.ctx()) is not null as ok \gset
select throws_ok(format($$ select flowstate.flow_save_state(%L, flowstate_tests.doc(%L), null, flowstate_tests.ctx(), %L) $$,
                        :'again', :'again', :'request'),
                 'FS005', null, 'a retry of the earlier flow''s create is a create again, refused: the id exists');
select is(flowstate.flow_load_state(:'again', flowstate_tests.ctx()) -> 'state_data', '{"life": 2}'::jsonb,
          'the new flow keeps its state');

select * from finish();
rollback;
