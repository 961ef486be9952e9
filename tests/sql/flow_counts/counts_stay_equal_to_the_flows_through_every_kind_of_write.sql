-- flow_counts reads tallies a trigger on flows keeps; they stay equal to counting the flows
-- through every kind of write: creations, saves, transitions, a failure, a fork, a deletion,
-- a DBA's direct update and delete, a bulk load with triggers off (session_replication_role
-- = replica, as bench_scale loads), and a batch of several flows in one statement.
begin;
\ir ../_helpers.sql
\ir ../_lifecycle.sql
select plan(5);

create temporary view counted as
  select flow_type, current_phase::text, status::text, count(*) as flows
    from flowstate.flows group by 1, 2, 3 order by 1, 2, 3;

select flowstate_tests.make_flow(p_versions => 3, p_tenant => 71) as a \gset
select flowstate_tests.make_flow_at('data_cleansing', p_tenant => 71) as b \gset
select flowstate_tests.make_flow_at('failed', p_tenant => 71) as c \gset
select flowstate_tests.make_flow(p_tenant => 72) as d \gset
select flowstate.flow_fork(:'b', 2, null, flowstate_tests.ctx(71)) is not null as forked \gset
select flowstate.flow_delete(:'a', 'test', flowstate_tests.ctx(71)) is not null as deleted \gset
select results_eq($$ select * from flowstate.flow_counts(null) $$, $$ select * from counted $$,
                  'after creations, saves, transitions, a failure, a fork and a deletion');

update flowstate.flows set status = 'paused' where flow_id = :'d';
delete from flowstate.flows where flow_id = :'c';
select results_eq($$ select * from flowstate.flow_counts(null) $$, $$ select * from counted $$,
                  'after a DBA''s direct update and delete');
select is_empty(format($$ select * from flowstate.flow_tallies where client_account_id = %L and current_phase = 'failed' $$,
                       flowstate_tests.ctx(71) ->> 'client_account_id'),
                'a tally whose last flow is gone goes too (no phase outlives its flows)');

set local session_replication_role = replica;
insert into flowstate.flows (flow_id, flow_type, client_account_id, engagement_id, user_id, flow_version, current_phase,
                             phases_completed, status, state_data, generation)
select gen_random_uuid(), 'discovery', (flowstate_tests.ctx(73) ->> 'client_account_id')::uuid,
       (flowstate_tests.ctx(73) ->> 'engagement_id')::uuid, gen_random_uuid(), 1, 'data_import', '{}', 'running', '{}', 0
  from generate_series(1, 50);
set local session_replication_role = origin;
select results_eq($$ select * from flowstate.flow_counts(null) $$, $$ select * from counted $$,
                  'after a bulk load with triggers off');
select results_eq(format($$ select * from flowstate.flow_counts(%L) $$, flowstate_tests.ctx(73)),
                  $$ values ('discovery'::text, 'data_import'::text, 'running'::text, 50::bigint) $$,
                  'the bulk-loaded tenant sees its 50 flows');

select * from finish();
rollback;
