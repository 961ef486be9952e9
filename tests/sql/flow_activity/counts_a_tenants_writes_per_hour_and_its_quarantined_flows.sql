-- flow_activity gives the writes to flows per hour (creations, saves, transitions, a
-- checkpoint, a DBA's update, a reset: each an audit row; an archive writes no flow) from
-- 24 hours ago to now, empty hours included, and the quarantined flows and documents: a
-- tenant's own with its context, every tenant's with an admin's NULL context. Another tenant
-- sees none of them. Nothing is written.
begin;
\ir ../_helpers.sql
select plan(13);

select flowstate.flow_activity(null) as everyone_before \gset
select flowstate_tests.make_flow(p_versions => 3, p_tenant => 91) as a \gset
select flowstate_tests.make_flow_at('field_mapping', p_tenant => 91) as b \gset
select flowstate.flow_create_checkpoint(:'b', null, 'kept', flowstate_tests.ctx(91)) is not null as checkpointed \gset
select flowstate_tests.make_flow(p_versions => 2, p_tenant => 92) as c \gset
update flowstate.flows set current_phase = 'no_such_phase' where flow_id = :'a';
select flowstate.flow_handle_corrupted(:'a', flowstate_tests.ctx(91)) is not null as quarantined \gset
select md5(string_agg(t::text, ',' order by t)) as tallies_before from flowstate.activity_tallies t \gset
select count(*) as audited_writes from flowstate.audit_log
 where flow_id in (:'a', :'b') and operation <> 'archive' \gset

set local role flowstate_app;
select flowstate.flow_activity(flowstate_tests.ctx(91)) as mine \gset
select flowstate.flow_activity(flowstate_tests.ctx(92)) as theirs \gset
select is(jsonb_array_length(:'mine'::jsonb -> 'buckets'), 25, 'an hour a bucket, from the hour 24 hours ago to this one');
select ok((select bool_and(date_trunc('hour', (b ->> 'start')::timestamptz at time zone 'UTC') = (b ->> 'start')::timestamptz at time zone 'UTC')
             from jsonb_array_elements(:'mine'::jsonb -> 'buckets') b), 'every bucket starts on a whole hour (UTC)');
select is((:'mine'::jsonb -> 'buckets' -> -1 ->> 'writes')::int, 8,
          'this hour: 2 creations, 2 saves, a transition, a checkpoint, the DBA''s update and the reset; not the archive');
select is((:'mine'::jsonb -> 'buckets' -> -1 ->> 'writes')::bigint,
          :'audited_writes'::bigint,
          'as many as the audit trail has writes');
select is((select sum((b ->> 'writes')::int) from jsonb_array_elements(:'mine'::jsonb -> 'buckets' ) b)::int, 8,
          'and none in the hours before');
select is((:'mine'::jsonb -> 'quarantined') - 'newest'::text, '{"flows": 1, "documents": 1, "since": 1}', 'the tenant''s quarantined flow');
select is((:'mine'::jsonb #> '{quarantined,newest,0}') - 'archived_at'::text,
          jsonb_build_object('flow_id', :'a', 'flow_type', 'discovery', 'current_phase', 'data_import', 'status', 'running'),
          'named, with its type, phase and status after the reset');
select is((select sum((b ->> 'writes')::int) from jsonb_array_elements(:'theirs'::jsonb -> 'buckets') b)::int, 2,
          'another tenant sees its own writes only');
select is(:'theirs'::jsonb -> 'quarantined', '{"flows": 0, "documents": 0, "since": 0, "newest": []}', 'and no quarantine of the first');
select is(flowstate_tests.context_refusals($$ select flowstate.flow_activity(%s) $$), '{FS001,FS001,FS001}',
          'a malformed context and a NULL one are FS001 for the application');
reset role;

set local role flowstate_admin;
select flowstate.flow_activity(null) as everyone \gset
reset role;
select is((:'everyone'::jsonb -> 'buckets' -> -1 ->> 'writes')::int - (:'everyone_before'::jsonb -> 'buckets' -> -1 ->> 'writes')::int, 10,
          'an admin''s NULL context counts every tenant''s writes');
select is((:'everyone'::jsonb #>> '{quarantined,flows}')::int - (:'everyone_before'::jsonb #>> '{quarantined,flows}')::int, 1,
          'and every tenant''s quarantined flows');
select is((select md5(string_agg(t::text, ',' order by t)) from flowstate.activity_tallies t), :'tallies_before', 'reading wrote nothing');

select * from finish();
rollback;
