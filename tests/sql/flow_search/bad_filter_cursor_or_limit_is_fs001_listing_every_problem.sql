-- A search that cannot run is FS001 with every problem listed at once: unknown keys, values
-- of the wrong type or out of range, an unknown flow type, a cursor flow_search did not
-- return, a page size out of bounds, a filter that is not an object.
begin;
\ir ../_helpers.sql
\ir ../_lifecycle.sql
select plan(5);

set local role flowstate_app;
select is(flowstate_tests.error_of($$ select flowstate.flow_search(
  '{"flow_type": "nope", "phase": 3, "status": "asleep", "metadata": [1], "external_id": {}, "created_after": "soon",
    "updated_before": "infinity", "parent_flow_id": "x", "colour": "red"}', flowstate_tests.ctx(), 'not a cursor', 0) $$),
  jsonb_build_object('sqlstate', 'FS001', 'detail', jsonb_build_object('errors', jsonb_build_array(
    'Unknown filter ''colour'': filters are flow_type, phase, status, metadata, external_id, created_after, created_before, updated_after, updated_before, parent_flow_id, client_account_id, engagement_id, quarantined.',
    'Filter created_after must be an ISO 8601 timestamp, like 2026-01-31T12:00:00Z.',
    'Filter external_id must be a string.',
    'Filter flow_type ''nope'' is not a known flow type (see flowstate.flow_types).',
    'Filter metadata must be an object (flows whose metadata contains it match).',
    'Filter parent_flow_id must be a UUID string.',
    'Filter phase must be a string.',
    'Filter status must be one of running, paused, recovered, completed, failed.',
    'Filter updated_before must be an ISO 8601 timestamp, like 2026-01-31T12:00:00Z.',
    'p_limit must be between 1 and 1000 (flowstate.settings max_search_page), not 0.',
    'p_after must be a cursor that flow_search returned ("next").'))),
  'every problem, one sentence each');
select is(flowstate_tests.error_of($$ select flowstate.flow_search('[]', flowstate_tests.ctx()) $$) #> '{detail,errors}',
          '["p_filter must be a JSON object, not array."]', 'a filter that is not an object');
select is(flowstate_tests.error_of($$ select flowstate.flow_search('{"metadata": {"user_id": 5}}', flowstate_tests.ctx(), null, 1001) $$) #> '{detail,errors}',
          '["Filter metadata.user_id must be a UUID string.", "p_limit must be between 1 and 1000 (flowstate.settings max_search_page), not 1001."]',
          'a malformed user id in metadata, a page over the limit');
select is(flowstate_tests.error_of($$ select flowstate.flow_search(null, flowstate_tests.ctx(), encode('12/x', 'base64')) $$) #> '{detail,errors}',
          '["p_after must be a cursor that flow_search returned (\"next\")."]', 'a forged cursor');
select is(flowstate_tests.error_of($$ select flowstate.flow_search(null, flowstate_tests.ctx(), null, null) $$), null,
          'a NULL filter and a NULL page size are the defaults: no filter, 50 flows');
reset role;

select * from finish();
rollback;
