-- Every write to a flow counts exactly once in its tenant's activity, whoever makes it and
-- however: a save, a put or a transition counts itself in its write statement (and moves the
-- flow between tallies when its phase or status changes); every other change (a checkpoint, a
-- recovery, a DBA's direct update) is counted by the audit trigger, or by the tally trigger
-- when session_replication_role = replica turns the audit triggers off. Never both, never
-- neither, forged settings or not. A refused call counts nothing. The flow tallies follow
-- each phase and status change.
begin;
\ir ../_helpers.sql
select plan(20);

create temporary view counted as
  select flow_type, current_phase::text, status::text, count(*) as flows
    from flowstate.flows group by 1, 2, 3 order by 1, 2, 3;
create temporary table last_mark (writes bigint) on commit drop;
insert into last_mark values (0);
-- Tenant 83's writes since the previous call (read as the test's superuser).
create function flowstate_tests.new_writes()
returns bigint language sql as $$
  with now_counted as (
    select coalesce(sum(t.writes), 0)::bigint as writes
      from flowstate.activity_tallies t
     where t.client_account_id = (flowstate_tests.ctx(83) ->> 'client_account_id')::uuid)
  update last_mark m set writes = n.writes from now_counted n
  returning n.writes - (select writes from last_mark)
$$;

select flowstate_tests.new_writes() >= 0 as marked \gset
select flowstate_tests.make_flow(p_tenant => 83) as flow_id \gset
select is(flowstate_tests.new_writes(), 1::bigint, 'a creation counts once');

select flowstate.flow_save_state(:'flow_id', flowstate_tests.doc(:'flow_id', p_state_data => '{"step": 1}'), 1,
                                 flowstate_tests.ctx(83)) is not null as saved \gset
select is(flowstate_tests.new_writes(), 1::bigint, 'a save keeping its phase (the fast path) counts once');

select flowstate.flow_put_state(:'flow_id', flowstate_tests.doc(:'flow_id', p_state_data => '{"step": 2}'), 'put',
                                flowstate_tests.ctx(83)) is not null as put \gset
select is(flowstate_tests.new_writes(), 1::bigint, 'a put keeping its phase counts once');

select flowstate.flow_save_state(:'flow_id', flowstate_tests.doc(:'flow_id', p_state_data => '{"step": 3}') || '{"status": "paused"}', 3,
                                 flowstate_tests.ctx(83)) is not null as paused \gset
select is(flowstate_tests.new_writes(), 1::bigint, 'a save changing only its status counts once');
select results_eq($$ select * from flowstate.flow_counts(null) $$, $$ select * from counted $$,
                  'and moves the flow to its new status');

select flowstate_tests.outcome_of(format($$ select flowstate.flow_save_state(%L, flowstate_tests.doc(%L), 1, flowstate_tests.ctx(83)) $$,
                                         :'flow_id', :'flow_id')) ->> 'sqlstate' as stale \gset
select is(flowstate_tests.new_writes(), 0::bigint, 'a refused save (stale version) counts nothing');

select flowstate.flow_save_state(:'flow_id', flowstate_tests.doc(:'flow_id', 'field_mapping', '{data_import}'), 4,
                                 flowstate_tests.ctx(83)) is not null as moved \gset
select is(flowstate_tests.new_writes(), 1::bigint, 'a save changing its phase (the slow path) counts once');

select flowstate.flow_transition_phase(:'flow_id', 'data_cleansing', 5, flowstate_tests.ctx(83)) is not null as transitioned \gset
select is(flowstate_tests.new_writes(), 1::bigint, 'a transition counts once');
select results_eq($$ select * from flowstate.flow_counts(null) $$, $$ select * from counted $$,
                  'and both phase changes moved the flow');

select flowstate.flow_create_checkpoint(:'flow_id', null, 'kept', flowstate_tests.ctx(83)) as checkpoint_id \gset
select is(flowstate_tests.new_writes(), 1::bigint, 'a checkpoint (an update that keeps the version) counts once');

select flowstate.flow_save_state(:'flow_id', flowstate_tests.doc(:'flow_id', 'asset_inventory', '{data_import,field_mapping,data_cleansing}'),
                                 6, flowstate_tests.ctx(83)) is not null as moved_on \gset
select flowstate.flow_recover_from_checkpoint(:'flow_id', :'checkpoint_id', 7, flowstate_tests.ctx(83)) is not null as recovered \gset
select is(flowstate_tests.new_writes(), 2::bigint, 'a save and a recovery count once each');

set local role flowstate_admin;
update flowstate.flows set state_data = '{"edited": "by hand"}' where flow_id = :'flow_id';
reset role;
select is(flowstate_tests.new_writes(), 1::bigint, 'a DBA''s direct update counts once');

-- A DBA raising the version in the statement, as the write functions do, with their settings
-- forged: still a direct update, counted once, and the status change moves the flow.
set local role flowstate_admin;
select set_config('flowstate.operation', 'save', true), set_config('flowstate.all_tenants', 'on', true),
       set_config('flowstate.client_account_id', flowstate_tests.ctx(83) ->> 'client_account_id', true) \gset
update flowstate.flows set flow_version = flow_version + 1, status = 'paused' where flow_id = :'flow_id';
reset role;
select is(flowstate_tests.new_writes(), 1::bigint, 'a DBA''s update raising the version under forged settings counts once');
select results_eq($$ select * from flowstate.flow_counts(null) $$, $$ select * from counted $$,
                  'and moves the flow to its new status');

-- The application forging the settings before a save gains nothing either.
set local role flowstate_app;
select set_config('flowstate.operation', 'import', true), set_config('flowstate.all_tenants', 'on', true) \gset
select flowstate.flow_save_state(:'flow_id', flowstate_tests.doc(:'flow_id', 'data_cleansing', '{data_import,field_mapping}',
                                                                 '{"step": 9}'),
                                 10, flowstate_tests.ctx(83)) is not null as forged_save \gset
reset role;
select is(flowstate_tests.new_writes(), 1::bigint, 'a save under forged settings counts once');

-- With session_replication_role = replica (bulk fixes; the audit triggers are off), a direct
-- update is still counted, once.
set local session_replication_role = replica;
update flowstate.flows set status = 'running' where flow_id = :'flow_id';
set local session_replication_role = origin;
select is(flowstate_tests.new_writes(), 1::bigint, 'a direct update with session_replication_role = replica counts once');
select results_eq($$ select * from flowstate.flow_counts(null) $$, $$ select * from counted $$,
                  'and moves the flow to its new status');

select is((select coalesce(sum(t.writes), 0)::bigint from flowstate.activity_tallies t
            where t.client_account_id = (flowstate_tests.ctx(83) ->> 'client_account_id')::uuid),
          (select count(*) + 1 from flowstate.audit_log a where a.flow_id = :'flow_id'),
          'the tenant''s activity equals its flow''s audited writes, and the unaudited replica-mode update');
select is((flowstate.flow_load_state(:'flow_id', flowstate_tests.ctx(83)) ->> 'flow_version')::bigint, 11::bigint,
          'eleven versions: every write above made one (the checkpoint none)');
select results_eq($$ select * from flowstate.flow_counts(null) $$, $$ select * from counted $$,
                  'the flow counts equal the flows at the end');

select * from finish();
rollback;
