-- A DBA binds a login to the tenants it may act for (flowstate.role_tenants). A context
-- naming another tenant is then refused as if that tenant's flows did not exist: reads return
-- nothing, writes are FS004, creation included, and nothing at all changes.
begin;
\ir ../_helpers.sql
select plan(21);

create role flowstate_test_agent login in role flowstate_app;
insert into flowstate.role_tenants (role_name, client_account_id, engagement_id)
values ('flowstate_test_agent', (flowstate_tests.ctx(1) ->> 'client_account_id')::uuid, (flowstate_tests.ctx(1) ->> 'engagement_id')::uuid);

select flowstate_tests.make_flow(p_versions => 2, p_tenant => 2) as theirs \gset
select flowstate.flow_create_checkpoint(:'theirs', null, 'cp', flowstate_tests.ctx(2)) as checkpoint_id \gset
select flowstate.flow_recover_from_checkpoint(:'theirs', :'checkpoint_id', null, flowstate_tests.ctx(2)) is not null as alerted \gset
select alert_id from flowstate.alerts where flow_id = :'theirs' \gset
select flowstate_tests.make_flow(p_tenant => 2) as quarantined \gset
select flowstate.flow_handle_corrupted(:'quarantined', flowstate_tests.ctx(2)) is not null as archived \gset
select gen_random_uuid() as new_id \gset
create function pg_temp.digest() returns text language sql as $$
  select concat_ws(' ', (select md5(string_agg(f::text, ',' order by flow_id)) from flowstate.flows f),
                   (select count(*) from flowstate.audit_log), (select count(*) from flowstate.checkpoints),
                   (select count(*) from flowstate.legacy_rows), (select count(*) from flowstate.alerts))
$$;
select pg_temp.digest() as before \gset

set local session authorization flowstate_test_agent;
-- Reads: nothing, as for a flow that does not exist.
select is(flowstate.flow_load_state(:'theirs', flowstate_tests.ctx(2)), null, 'load returns nothing');
select is((select count(*) from flowstate.flow_history(:'theirs', flowstate_tests.ctx(2))), 0::bigint, 'history has no rows');
select is(flowstate.flow_state_at(:'theirs', 1, flowstate_tests.ctx(2)), null, 'nor any past version');
select is((select count(*) from flowstate.flow_load_states(array[:'theirs'::uuid], flowstate_tests.ctx(2))), 0::bigint,
          'a batch load finds nothing');
select is(flowstate.flow_alert(:'alert_id', flowstate_tests.ctx(2)), null, 'the tenant''s alert has no details');
-- The overview and the figures: nothing of the tenant's, its quarantined document included.
select is((select count(*) from flowstate.flow_counts(flowstate_tests.ctx(2))), 0::bigint, 'no counts');
select is(flowstate.flow_activity(flowstate_tests.ctx(2)) -> 'quarantined' ->> 'documents', '0', 'no quarantined document');
select is(flowstate.flow_stats(flowstate_tests.ctx(2)) - '{track_functions}'::text[],
          '{"flows": [], "flows_total": 0, "audit_rows": 0, "audit_bytes": null, "audit_rows_24h": 0, "audit_bytes_24h": 0,
            "checkpoints": 0, "checkpoint_bytes": null, "quarantined": 0, "quarantined_24h": 0, "slowest_functions": null}'::jsonb,
          'no figures');
select is(flowstate.flow_search('{"quarantined": true}', flowstate_tests.ctx(2)) -> 'flows', '[]'::jsonb, 'no flow found');
-- Writes: FS004, as for a flow that does not exist.
select is(flowstate_tests.outcome_of(format($$ select flowstate.flow_save_state(%L, flowstate_tests.doc(%L), 2, flowstate_tests.ctx(2)) $$,
                                            :'theirs', :'theirs')) ->> 'sqlstate', 'FS004', 'save is FS004');
select is(flowstate_tests.outcome_of(format($$ select flowstate.flow_save_state(%L, flowstate_tests.doc(%L), null, flowstate_tests.ctx(2)) $$,
                                            :'new_id', :'new_id')) ->> 'sqlstate', 'FS004', 'creating a flow is FS004');
select is(flowstate_tests.outcome_of(format($$ select flowstate.flow_save_state(%L, flowstate_tests.doc(%L), null, flowstate_tests.ctx(2)) $$,
                                            :'theirs', :'theirs')) ->> 'sqlstate', 'FS004', 'even with an id that exists');
select is(flowstate_tests.outcome_of(format($$ select flowstate.flow_put_state(%L, flowstate_tests.doc(%L), 'm', flowstate_tests.ctx(2)) $$,
                                            :'new_id', :'new_id')) ->> 'sqlstate', 'FS004', 'put (create or replace) is FS004');
select is(flowstate_tests.outcome_of(format($$ select flowstate.flow_transition_phase(%L, 'field_mapping', null, flowstate_tests.ctx(2)) $$,
                                            :'theirs')) ->> 'sqlstate', 'FS004', 'transition is FS004');
select is(flowstate_tests.outcome_of(format($$ select flowstate.flow_create_checkpoint(%L, null, null, flowstate_tests.ctx(2)) $$,
                                            :'theirs')) ->> 'sqlstate', 'FS004', 'checkpoint is FS004');
select is(flowstate_tests.outcome_of(format($$ select flowstate.flow_recover_failed(%L, flowstate_tests.ctx(2)) $$,
                                            :'theirs')) ->> 'sqlstate', 'FS004', 'recovery is FS004');
select is(flowstate_tests.outcome_of(format($$ select flowstate.flow_save_states(jsonb_build_array(jsonb_build_object(
                                              'flow_id', %L, 'state', flowstate_tests.doc(%L))), flowstate_tests.ctx(2), true) $$,
                                            :'new_id', :'new_id')) ->> 'sqlstate', 'FS004', 'a batch creation is FS004');
select is(flowstate_tests.outcome_of($$ select flowstate.flow_import_legacy('run-1', '{1}', '{a}', '{t}', '{"{}"}', '{"fingerprint": "f"}',
                                                                            flowstate_tests.ctx(2), p_more => true) $$) ->> 'sqlstate',
          'FS004', 'an import is FS004, before it stages anything');
select is(flowstate_tests.outcome_of(format($$ select flowstate.flow_save_state(%L, flowstate_tests.doc(%L), null, flowstate_tests.ctx(1, 1) || '{"client_account_id": %s}') $$,
                                            :'new_id', :'new_id', to_jsonb(flowstate_tests.ctx(2) ->> 'client_account_id'))) ->> 'sqlstate',
          'FS004', 'the bound engagement under another client account is another tenant');
reset session authorization;

select is(pg_temp.digest(), :'before', 'nothing changed: flows, audit trail, checkpoints, legacy rows, alerts');
select is(flowstate.flow_load_state(:'new_id', null), null, 'and no flow was created');

select * from finish();
rollback;
