-- Only flowstate_admin members (and superusers) may prune request ids: the app role gets
-- FS001 and nothing is removed.
begin;
\ir ../_helpers.sql
select plan(3);

select flowstate_tests.make_flow() as id \gset
select flowstate.flow_save_state(:'id', flowstate_tests.doc(:'id'), 1, flowstate_tests.ctx(), gen_random_uuid()) is not null as ok \gset
update flowstate.request_ids set created_at = now() - interval '2 days' where flow_id = :'id';

set local role flowstate_app;
select throws_ok($$ select flowstate.flow_prune_request_ids() $$, 'FS001', null, 'the app role is refused');
reset role;
select is((select count(*) from flowstate.request_ids where flow_id = :'id'), 1::bigint, 'nothing was removed');
set local role flowstate_admin;
select cmp_ok(flowstate.flow_prune_request_ids(), '>=', 1::bigint, 'an admin prunes');
reset role;

select * from finish();
rollback;
