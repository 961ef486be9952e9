-- Every filter key selects what it names, keys combine with AND, a null value filters
-- nothing, and the page lists documents exactly as flow_load_state returns them but without
-- state_data, most recently updated first.
begin;
\ir ../_helpers.sql
\ir ../_lifecycle.sql
select plan(17);

-- Five flows of tenant 1, updated a minute apart (a newest, e oldest), and one of tenant 2.
select flowstate_tests.make_flow() as a, flowstate_tests.make_flow_at('field_mapping') as b,
       flowstate_tests.make_flow_at('failed') as c, flowstate_tests.make_flow(p_versions => 3) as d,
       flowstate_tests.make_flow_at('completed') as e, flowstate_tests.make_flow(p_tenant => 2) as other \gset
select flowstate.flow_put_state(:'d', flowstate_tests.doc(:'d') || '{"metadata": {"team": "red", "tags": ["x", "y"]}}', 'm',
                                flowstate_tests.ctx()) is not null as tagged \gset
select flowstate.flow_record_step(flowstate.flow_id_for('crew-run-1', flowstate_tests.ctx()), 'plan', '{}', 'plan',
                                  flowstate_tests.ctx(1, 7), p_external_id => 'crew-run-1', p_flow_type => 'crewai') ->> 'flow_id' as crew \gset
select flowstate.flow_fork(:'b', 1, null, flowstate_tests.ctx()) ->> 'flow_id' as fork \gset
select flowstate_tests.backdate_flow(id::uuid, now() - n * interval '1 minute')
  from unnest(array[:'a', :'b', :'c', :'d', :'e', :'crew', :'fork']) with ordinality as x(id, n);

create function pg_temp.found(p_filter jsonb) returns uuid[] language sql as $$
  select array(select (d ->> 'flow_id')::uuid
                 from jsonb_array_elements(flowstate.flow_search(p_filter, flowstate_tests.ctx()) -> 'flows') d)
$$;

set local role flowstate_app;
select is(pg_temp.found('{}'), array[:'a', :'b', :'c', :'d', :'e', :'crew', :'fork']::uuid[],
          'no filter: all the tenant''s flows, most recently updated first');
select is(pg_temp.found('{"flow_type": "crewai"}'), array[:'crew']::uuid[], 'flow_type');
select is(pg_temp.found('{"phase": "field_mapping"}'), array[:'b']::uuid[], 'phase is the current phase');
select is(pg_temp.found('{"status": "failed"}'), array[:'c']::uuid[], 'status');
select is(pg_temp.found('{"metadata": {"team": "red"}}'), array[:'d']::uuid[], 'metadata is matched by containment');
select is(pg_temp.found('{"metadata": {"tags": ["y"]}}'), array[:'d']::uuid[], 'also inside arrays');
select is(pg_temp.found(jsonb_build_object('metadata', jsonb_build_object('user_id', flowstate_tests.ctx(1, 7) ->> 'user_id'))),
          array[:'crew']::uuid[], 'the user in metadata is the flow''s creator');
select is(pg_temp.found('{"external_id": "crew-run-1"}'), array[:'crew']::uuid[], 'external_id, the caller''s own id');
select is(pg_temp.found(jsonb_build_object('parent_flow_id', :'b')), array[:'fork']::uuid[], 'parent_flow_id lists forks');
select is(pg_temp.found(jsonb_build_object('updated_after', now() - interval '3 minutes 30 seconds')), array[:'a', :'b', :'c']::uuid[],
          'updated_after');
select is(pg_temp.found(jsonb_build_object('updated_before', now() - interval '5 minutes 30 seconds')), array[:'crew', :'fork']::uuid[],
          'updated_before');
select is(pg_temp.found(jsonb_build_object('created_after', now() - interval '1 second', 'status', 'completed')), array[:'e']::uuid[],
          'created_after, and keys combine');
select is(pg_temp.found(jsonb_build_object('created_before', now() - interval '1 second')), '{}'::uuid[], 'created_before');
select is(pg_temp.found('{"phase": null, "status": null}'), pg_temp.found('{}'), 'a null value filters nothing');
select is(pg_temp.found('{"status": "paused"}'), '{}'::uuid[], 'no match: an empty page');
select is(flowstate.flow_search(jsonb_build_object('flow_type', 'discovery', 'status', 'completed'), flowstate_tests.ctx()),
          jsonb_build_object('flows', jsonb_build_array(flowstate.flow_load_state(:'e', flowstate_tests.ctx()) - 'state_data'),
                             'next', null),
          'a page: the documents as loaded, without state_data, and no next cursor after the last');
select is(flowstate.flow_search(jsonb_build_object('parent_flow_id', :'b'), flowstate_tests.ctx()) #> '{flows,0,forked_from}',
          jsonb_build_object('flow_id', :'b', 'flow_version', 1), 'a fork''s document names its parent');
reset role;

select * from finish();
rollback;
