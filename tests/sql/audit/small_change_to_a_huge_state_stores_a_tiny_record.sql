-- Audit storage follows the change, not the state: with a ~700 KB state_data, a save that
-- changes one nested key, a put that adds one, and a transition (no state change) each write
-- a change record (snapshot NULL) under 2 KB, a tiny fraction of the state; the trail of
-- the whole flow stays close to one compressed copy (the create's snapshot); and each
-- version still rebuilds.
begin;
\ir ../_helpers.sql
select plan(8);

select gen_random_uuid() as flow_id \gset
select flowstate_tests.large_state(40, 100) as huge \gset
select jsonb_set(:'huge'::jsonb, '{sections,s017,items,i0042,score}', '-1') as edited \gset
select jsonb_set(:'edited'::jsonb, '{sections,s003,items,extra}', '{"added": true}') as added \gset

select flowstate.flow_save_state(:'flow_id', flowstate_tests.doc(:'flow_id', p_state_data => :'huge'), null, flowstate_tests.ctx()) as v1 \gset
select flowstate.flow_save_state(:'flow_id', :'v1'::jsonb || jsonb_build_object('state_data', :'edited'::jsonb), 1, flowstate_tests.ctx()) as v2 \gset
select flowstate.flow_put_state(:'flow_id', :'v2'::jsonb || jsonb_build_object('state_data', :'added'::jsonb), 'add', flowstate_tests.ctx()) as v3 \gset
select flowstate.flow_transition_phase(:'flow_id', 'field_mapping', 3, flowstate_tests.ctx()) as v4 \gset

select cmp_ok(pg_column_size(:'huge'::jsonb), '>', 500000, 'the state is over 500 KB');
select ok((select snapshot is not null and changes is null from flowstate.audit_log where flow_id = :'flow_id' and new_version = 1),
          'the create is a full snapshot');
select is((select count(*) from flowstate.audit_log where flow_id = :'flow_id' and new_version > 1 and snapshot is null and changes is not null),
          3::bigint, 'the save, the put and the transition are change records without a snapshot');
select cmp_ok((select max(pg_column_size(changes)) from flowstate.audit_log where flow_id = :'flow_id' and new_version > 1),
              '<', 2048, 'each is under 2 KB');
select is((select changes from flowstate.audit_log where flow_id = :'flow_id' and new_version = 2),
          '[[["state_data", "sections", "s017", "items", "i0042", "score"], -1]]'::jsonb, 'the save''s record is just the changed key');
select cmp_ok((select sum(pg_column_size(a.*)) from flowstate.audit_log a where flow_id = :'flow_id'), '<',
              (select (pg_column_size(snapshot) * 1.1)::bigint from flowstate.audit_log where flow_id = :'flow_id' and new_version = 1),
              'the whole trail is within 10% of the first (compressed) snapshot');
select is(flowstate.flow_state_at(:'flow_id', 3, flowstate_tests.ctx()), :'v3'::jsonb || jsonb_build_object('state_data', :'added'::jsonb),
          'the put''s version rebuilds exactly');
select is(flowstate.flow_state_at(:'flow_id', 4, flowstate_tests.ctx()), flowstate.flow_load_state(:'flow_id', flowstate_tests.ctx()),
          'the current version rebuilds to the loaded document');

select * from finish();
rollback;
