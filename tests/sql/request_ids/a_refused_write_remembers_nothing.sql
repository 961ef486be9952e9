-- A refused write rolls back with everything else, its request id included: the same call
-- again is refused again (not answered as if it had written), and once the call can apply,
-- it does.
begin;
\ir ../_helpers.sql
select plan(4);

select flowstate_tests.make_flow(2) as id \gset
select gen_random_uuid() as request \gset

select throws_ok(format($$ select flowstate.flow_save_state(%L, flowstate_tests.doc(%L), 1, flowstate_tests.ctx(), %L) $$,
                        :'id', :'id', :'request'), 'FS002', null, 'a stale save is FS002');
select is((select count(*) from flowstate.request_ids where request_id = :'request'), 0::bigint, 'its request id is not kept');
select throws_ok(format($$ select flowstate.flow_save_state(%L, flowstate_tests.doc(%L), 1, flowstate_tests.ctx(), %L) $$,
                        :'id', :'id', :'request'), 'FS002', null, 'the same call again is refused again');
select is(flowstate.flow_save_state(:'id', flowstate_tests.doc(:'id'), 2, flowstate_tests.ctx(), :'request') ->> 'flow_version',
          '3', 'with the current version the same request id writes');

select * from finish();
rollback;
