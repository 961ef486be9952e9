-- A NULL expected version creates the flow at version 1 and returns the stored document
-- without state_data; timestamps are ISO 8601 in UTC (Z) whatever the session's time zone,
-- and metadata carries the tenant and user of the request context.
begin;
\ir ../_helpers.sql
select plan(12);

set local timezone = 'America/New_York';
select gen_random_uuid() as flow_id \gset
set local role flowstate_app;
select flowstate.flow_save_state(:'flow_id', flowstate_tests.doc(:'flow_id', p_state_data => '{"step": 0}'), null,
                                 flowstate_tests.ctx(1, 7)) as saved \gset

select is((:'saved'::jsonb ->> 'flow_version')::int, 1, 'the new flow is at version 1');
select ok(not (:'saved'::jsonb ? 'state_data'), 'the returned document has no state_data');
select is(:'saved'::jsonb ->> 'flow_id', :'flow_id', 'it names the flow');
select is(:'saved'::jsonb ->> 'flow_type', 'discovery', 'flow_type defaults to discovery');
select is(:'saved'::jsonb ->> 'status', 'running', 'a new flow is running');
select matches(:'saved'::jsonb ->> 'created_at', '^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?Z$',
               'created_at is an ISO 8601 timestamp ending in Z');
select matches(:'saved'::jsonb ->> 'updated_at', '^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?Z$',
               'updated_at is an ISO 8601 timestamp ending in Z');
select is((:'saved'::jsonb ->> 'created_at')::timestamptz, now(),
          'created_at is the creating transaction''s time, in UTC');
select is(:'saved'::jsonb -> 'metadata', flowstate_tests.ctx(1, 7),
          'metadata holds the client, engagement and user of the context');
select is(:'saved'::jsonb -> 'checkpoints', '[]'::jsonb, 'a new flow has no checkpoints');
select is(flowstate.flow_load_state(:'flow_id', flowstate_tests.ctx()) -> 'state_data', '{"step": 0}'::jsonb,
          'state_data was stored');
select is(flowstate.flow_load_state(:'flow_id', flowstate_tests.ctx()) - 'state_data', :'saved'::jsonb,
          'the returned document is the stored one without state_data');

select * from finish();
rollback;
