-- A flow imported before with other content (another source file, or rows added since), or
-- one that exists in PostgreSQL without an import, is a conflict (FS005): nothing is merged.
begin;
\ir ../_helpers.sql
select plan(7);

select flowstate.flow_id_for('dup', flowstate_tests.ctx()) as flow_id \gset
set local role flowstate_app;
select flowstate.flow_import_legacy('dup', '{1,2}', '{a,b}', '{t1,t2}', '{"{}","{\"v\": 1}"}',
                                    '{"fingerprint": "file-a", "path": "/a.db"}', flowstate_tests.ctx()) is not null as ok \gset
select flowstate.flow_load_state(:'flow_id', flowstate_tests.ctx()) as before \gset
reset role;
select count(*) as legacy_rows from flowstate.legacy_rows \gset

select flowstate_tests.error_of(
  $$ select flowstate.flow_import_legacy('dup', '{1,2,3}', '{a,b,c}', '{t1,t2,t3}', '{"{}","{\"v\": 1}","{\"v\": 2}"}',
                                         '{"fingerprint": "file-b"}', flowstate_tests.ctx()) $$) as err \gset
select is(:'err'::jsonb ->> 'sqlstate', 'FS005', 'other content for an imported flow is refused with FS005');
select is(:'err'::jsonb -> 'detail' -> 'imported' ->> 'source_fingerprint', 'file-a', 'DETAIL names the source it came from');
select is((:'err'::jsonb -> 'detail' -> 'offered' ->> 'rows')::int, 3, 'and what was offered');
select is(flowstate.flow_load_state(:'flow_id', flowstate_tests.ctx()), :'before'::jsonb, 'the flow is unchanged');
select is((select count(*) from flowstate.legacy_rows), :'legacy_rows'::bigint, 'no legacy row was added');

-- A flow written live (by the CrewAI backend) under the id the import would use.
select flowstate.flow_id_for('live', flowstate_tests.ctx()) as live_id \gset
select flowstate.flow_put_state(:'live_id', jsonb_build_object('flow_id', :'live_id', 'flow_type', 'crewai',
         'current_phase', 'a', 'phases_completed', '[]'::jsonb, 'state_data', '{}'::jsonb), 'a', flowstate_tests.ctx()) is not null as ok \gset
select throws_ok($$ select flowstate.flow_import_legacy('live', '{1}', '{a}', '{t}', '{"{}"}', '{"fingerprint": "f"}', flowstate_tests.ctx()) $$,
                 'FS005', null, 'a flow that exists without an import is a conflict too');
select is((select count(*) from flowstate.migration_ledger where flow_id = :'live_id'), 0::bigint, 'and gets no ledger entry');

select * from finish();
rollback;
