-- flow_prune_request_ids removes the request ids older than request_ids_keep_hours, at most
-- p_limit per call, and keeps the rest; a pruned request id no longer answers a retry.
begin;
\ir ../_helpers.sql
select plan(5);

select flowstate_tests.make_flow() as id \gset
select gen_random_uuid() as old_request \gset
select flowstate.flow_save_state(:'id', flowstate_tests.doc(:'id', p_state_data => '{"n": 1}'), 1, flowstate_tests.ctx(),
                                 :'old_request') is not null as ok \gset
select flowstate.flow_save_state(:'id', flowstate_tests.doc(:'id', p_state_data => '{"n": 2}'), 2, flowstate_tests.ctx(),
                                 gen_random_uuid()) is not null as ok \gset
select flowstate.flow_save_state(:'id', flowstate_tests.doc(:'id', p_state_data => '{"n": 3}'), 3, flowstate_tests.ctx(),
                                 gen_random_uuid()) is not null as ok \gset
-- Two of them are a day and a bit old (the default keeps 24 hours).
update flowstate.request_ids set created_at = now() - interval '25 hours'
 where flow_id = :'id' and request_id in (select request_id from flowstate.request_ids where flow_id = :'id'
                                           order by request_id = :'old_request' desc, request_id limit 2);
-- Only this test's rows are old enough (the database may hold other tests' committed rows).
delete from flowstate.request_ids where flow_id <> :'id' and created_at < now() - interval '24 hours';

select is(flowstate.flow_prune_request_ids(1), 1::bigint, 'one old request id is removed with p_limit 1');
select is(flowstate.flow_prune_request_ids(), 1::bigint, 'then the other old one');
select is((select count(*) from flowstate.request_ids where flow_id = :'id'), 1::bigint, 'the recent one stays');
update flowstate.settings set value = 1000 where name = 'request_ids_keep_hours';
select is(flowstate.flow_prune_request_ids(), 0::bigint, 'nothing is old enough when the setting keeps more hours');
select is(flowstate.flow_save_state(:'id', flowstate_tests.doc(:'id', p_state_data => '{"n": 1}'), 4, flowstate_tests.ctx(),
                                    :'old_request') ->> 'flow_version', '5', 'a pruned request id writes again');

select * from finish();
rollback;
