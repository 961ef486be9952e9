-- A delete policy erases (tombstone each, reason naming the policy) the flows that have been
-- completed or failed for longer than `after`, oldest first, and nothing else: flows that
-- finished more recently, flows still running however old, flows of no policy. The result
-- lists what it did; a second run finds nothing.
begin;
\ir ../_helpers.sql
\ir ../_lifecycle.sql
select plan(8);

select flowstate_tests.make_flow_at('completed') as old_done, flowstate_tests.make_flow_at('failed') as old_failed,
       flowstate_tests.make_flow_at('completed') as recent_done, flowstate_tests.make_flow() as old_running \gset
select flowstate_tests.backdate_flow(:'old_done', now() - interval '40 days'),
       flowstate_tests.backdate_flow(:'old_failed', now() - interval '45 days'),
       flowstate_tests.backdate_flow(:'recent_done', now() - interval '10 days'),
       flowstate_tests.backdate_flow(:'old_running', now() - interval '100 days') \gset
insert into flowstate.retention_policies (flow_type, action, after) values (null, 'delete', '30 days');

set local role flowstate_admin;
select flowstate.flow_retention_run(100, false) as result \gset
reset role;

select is(:'result'::jsonb - '{rows,flows}'::text[],
          '{"dry_run": false, "busy": false, "deleted": 2, "compacted": 0, "more": false}'::jsonb, 'two flows deleted');
select is(:'result'::jsonb -> 'flows',
          jsonb_build_array(
            jsonb_build_object('flow_id', :'old_failed', 'flow_type', 'discovery', 'action', 'delete', 'terminal_since', flowstate._iso(now() - interval '45 days')),
            jsonb_build_object('flow_id', :'old_done', 'flow_type', 'discovery', 'action', 'delete', 'terminal_since', flowstate._iso(now() - interval '40 days'))),
          'the flows finished more than 30 days ago, oldest first');
select is((:'result'::jsonb #>> '{rows,flows}')::int, 2, 'with the rows removed per table');
select is(array(select flow_id from flowstate.flows where flow_id in (:'old_done', :'old_failed', :'recent_done', :'old_running') order by flow_id),
          array(select unnest(array[:'recent_done', :'old_running']::uuid[]) order by 1),
          'recently finished and running flows stay');
select is((select array_agg(reason order by flow_id) from flowstate.erasures where flow_id in (:'old_done', :'old_failed')),
          array['retention: delete after 30 days in a terminal phase (default policy)',
                'retention: delete after 30 days in a terminal phase (default policy)'],
          'each has a tombstone naming the policy');
select is((select count(*) from flowstate.audit_log where flow_id in (:'old_done', :'old_failed')), 0::bigint, 'their history is gone');
set local role flowstate_admin;
select is(flowstate.flow_retention_run(100, false) - 'rows',
          '{"dry_run": false, "busy": false, "deleted": 0, "compacted": 0, "flows": [], "more": false}'::jsonb, 'a second run finds nothing');
reset role;
delete from flowstate.retention_policies;
set local role flowstate_admin;
select is(flowstate.flow_retention_run(100, false) -> 'deleted', '0', 'without policies retention does nothing');
reset role;

select * from finish();
rollback;
