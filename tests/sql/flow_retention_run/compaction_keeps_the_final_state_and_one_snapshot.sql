-- Compaction keeps a finished flow's current state, its newest audit snapshot and the change
-- records after it, and drops the rest of its history, its checkpoints and quarantine, with
-- a tombstone saying so and a 'compact' event in its history. Its version does not change;
-- it loads as before; the versions kept rebuild exactly, the dropped ones are NULL; it is
-- not compacted again until it changes, and a later delete policy still deletes it.
begin;
\ir ../_helpers.sql
\ir ../_lifecycle.sql
select plan(14);

-- Snapshots every 3 change records, so the flow's history has several.
update flowstate.settings set value = 3 where name = 'audit_snapshot_every';
create temporary table saved (version bigint primary key, document jsonb) on commit drop;
select gen_random_uuid() as flow_id \gset
select set_config('test.flow_id', :'flow_id', true) is not null as noted \gset
do $$
declare
  v_id uuid := current_setting('test.flow_id')::uuid;
  v_state jsonb := flowstate_tests.large_state(5, 20);
  v_doc jsonb;
begin
  v_doc := flowstate.flow_save_state(v_id, flowstate_tests.doc(v_id, p_state_data => v_state), null, flowstate_tests.ctx());
  insert into saved values (1, v_doc || jsonb_build_object('state_data', v_state));
  for i in 2 .. 8 loop
    v_state := jsonb_set(v_state, '{config,limits,rows}', to_jsonb(i));
    v_doc := flowstate.flow_save_state(v_id, v_doc || jsonb_build_object('state_data', v_state), i - 1, flowstate_tests.ctx());
    insert into saved values (i, v_doc || jsonb_build_object('state_data', v_state));
  end loop;
  perform flowstate.flow_create_checkpoint(v_id, null, 'cp', flowstate_tests.ctx());
  foreach v_doc in array array(select to_jsonb(p) from unnest(array['field_mapping', 'data_cleansing', 'asset_inventory',
                                 'dependency_analysis', 'tech_debt_analysis', 'completed']) p) loop
    perform flowstate.flow_transition_phase(v_id, v_doc #>> '{}', null, flowstate_tests.ctx());
  end loop;
end $$;
-- Every version as time travel gives it before compaction (the flow_state_at tests prove it
-- exact), then the flow is made to look finished 10 days ago.
create temporary table before (version bigint primary key, document jsonb) on commit drop;
insert into before select v, flowstate.flow_state_at(:'flow_id', v, flowstate_tests.ctx()) from generate_series(1, 14) v;
select flowstate_tests.backdate_flow(:'flow_id', now() - interval '10 days') is not null as aged \gset
select flowstate.flow_load_state(:'flow_id', flowstate_tests.ctx()) as loaded_before \gset
select max(new_version) as kept_from from flowstate.audit_log where flow_id = :'flow_id' and snapshot is not null \gset
select count(*) filter (where new_version < :kept_from or operation = 'checkpoint') as dropping from flowstate.audit_log where flow_id = :'flow_id' \gset
insert into flowstate.retention_policies (flow_type, action, after) values (null, 'compact', '7 days');

set local role flowstate_admin;
select flowstate.flow_retention_run(10, false) as result \gset
reset role;

select is(:'result'::jsonb - '{flows,rows}'::text[], '{"dry_run": false, "busy": false, "deleted": 0, "compacted": 1, "more": false}'::jsonb,
          'the finished flow is compacted');
select ok(:kept_from > 1 and :kept_from < 14, 'its newest snapshot is part way through its history');
select is(flowstate.flow_load_state(:'flow_id', flowstate_tests.ctx()), :'loaded_before'::jsonb || '{"checkpoints": []}',
          'it loads as before, at the same version, without the checkpoint it lost');
select is((select count(*) from flowstate.checkpoints where flow_id = :'flow_id'), 0::bigint, 'its checkpoints are gone');
select is(flowstate.flow_state_at(:'flow_id', 14, flowstate_tests.ctx()) - 'updated_at',
          flowstate.flow_load_state(:'flow_id', flowstate_tests.ctx()) - 'updated_at',
          'the current version rebuilds from the kept history (but for the time made up above)');
select is_empty(format($$ select version from before where version >= %s
                           and flowstate.flow_state_at(%L, version, flowstate_tests.ctx()) - 'checkpoints' is distinct from document - 'checkpoints' $$,
                       :kept_from, :'flow_id'),
                'every version from the kept snapshot on rebuilds as before (without the checkpoints)');
select is(array(select version from before where version < :kept_from and flowstate.flow_state_at(:'flow_id', version, flowstate_tests.ctx()) is not null),
          '{}'::bigint[], 'the versions before it are gone (NULL)');
select is(array(select distinct operation from flowstate.flow_history(:'flow_id', flowstate_tests.ctx()) where new_version < :kept_from),
          '{}'::text[], 'and so is their history');
select is((select jsonb_build_object('operation', operation, 'old_version', old_version, 'new_version', new_version, 'label', label)
             from flowstate.flow_history(:'flow_id', flowstate_tests.ctx()) order by audit_id desc limit 1),
          jsonb_build_object('operation', 'compact', 'old_version', 14, 'new_version', 14, 'label', format('history before version %s dropped', :kept_from)),
          'its history ends with the compaction, which is no new version');
select is((select flowstate._tombstone(e) - '{erasure_id,erased_at,erased_by}'::text[] from flowstate.erasures e where flow_id = :'flow_id'),
          jsonb_build_object('flow_id', :'flow_id', 'action', 'compact', 'client_account_id', flowstate_tests.ctx() ->> 'client_account_id',
                             'engagement_id', flowstate_tests.ctx() ->> 'engagement_id', 'flow_version', 14, 'kept_from_version', :kept_from,
                             'reason', 'retention: compact after 7 days in a terminal phase (default policy)',
                             'rows', jsonb_build_object('audit_log', :dropping, 'checkpoints', 1, 'quarantine', 0)),
          'a tombstone says what went');
set local role flowstate_admin;
select is(flowstate.flow_retention_run(10, false) -> 'compacted', '0', 'a second run does not compact it again');
reset role;
select is(flowstate.flow_fork(:'flow_id', :kept_from, null, flowstate_tests.ctx()) -> 'state_data',
          (select document -> 'state_data' from before where version = :kept_from), 'a kept version can still be forked');

insert into flowstate.retention_policies (flow_type, action, after) values (null, 'delete', '9 days');
set local role flowstate_admin;
select is(flowstate.flow_retention_run(10, false) - '{rows,flows}'::text[],
          '{"dry_run": false, "busy": false, "deleted": 1, "compacted": 0, "more": false}'::jsonb, 'a delete policy still deletes it later');
reset role;
select is((select count(*) from flowstate.audit_log where flow_id = :'flow_id'), 0::bigint, 'with what was left of its history');

select * from finish();
rollback;
