-- p_dry_run lists what a run would do (each flow once, a flow due for deletion never also for
-- compaction), says whether more is left past p_limit, and changes nothing.
begin;
\ir ../_helpers.sql
\ir ../_lifecycle.sql
select plan(4);

select flowstate_tests.make_flow_at('completed') as very_old, flowstate_tests.make_flow_at('failed') as old,
       flowstate_tests.make_flow_at('completed') as newer \gset
select flowstate_tests.backdate_flow(:'very_old', now() - interval '400 days'), flowstate_tests.backdate_flow(:'old', now() - interval '40 days'),
       flowstate_tests.backdate_flow(:'newer', now() - interval '20 days') \gset
insert into flowstate.retention_policies (flow_type, action, after) values (null, 'delete', '365 days'), (null, 'compact', '10 days');
select md5(string_agg(f::text, ',' order by flow_id)) as flows_before, (select count(*) from flowstate.audit_log) as audit_before,
       (select count(*) from flowstate.erasures) as erasures_before
  from flowstate.flows f \gset

set local role flowstate_admin;
select flowstate.flow_retention_run(10, true) as listed \gset
select flowstate.flow_retention_run(2, true) as first_two \gset
reset role;

select is(:'listed'::jsonb - 'flows', '{"dry_run": true, "busy": false, "deleted": 1, "compacted": 2, "rows": {}, "more": false}'::jsonb,
          'a dry run counts what it would do');
select is(array(select format('%s %s', f ->> 'action', f ->> 'flow_id') from jsonb_array_elements(:'listed'::jsonb -> 'flows') f),
          array['delete ' || :'very_old', 'compact ' || :'old', 'compact ' || :'newer'],
          'deletions first; the flow due for deletion is not also listed for compaction');
select is(:'first_two'::jsonb ->> 'more', 'true', 'past p_limit, more is left');
select is(array[(select md5(string_agg(f::text, ',' order by flow_id)) from flowstate.flows f),
                (select count(*) from flowstate.audit_log)::text, (select count(*) from flowstate.erasures)::text],
          array[:'flows_before', :'audit_before', :'erasures_before'], 'nothing changed');

select * from finish();
rollback;
