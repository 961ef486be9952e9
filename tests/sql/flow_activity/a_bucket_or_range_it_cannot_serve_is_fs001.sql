-- flow_activity's buckets are whole hours (or days) and at most max_activity_buckets of them,
-- from a time not in the future: anything else is FS001, DETAIL.errors saying why.
-- Day buckets start on whole days (UTC).
begin;
\ir ../_helpers.sql
select plan(6);

set local role flowstate_app;
select is(flowstate_tests.outcome_of($$ select flowstate.flow_activity(flowstate_tests.ctx(), p_bucket => '30 minutes') $$) ->> 'sqlstate',
          'FS001', 'half an hour is not a bucket');
select is(flowstate_tests.outcome_of($$ select flowstate.flow_activity(flowstate_tests.ctx(), p_bucket => '1 month') $$) ->> 'sqlstate',
          'FS001', 'nor is a month (not a fixed length)');
select is(flowstate_tests.outcome_of($$ select flowstate.flow_activity(flowstate_tests.ctx(), now() + interval '1 hour') $$) ->> 'sqlstate',
          'FS001', 'the future has no activity yet');
select is(flowstate_tests.outcome_of($$ select flowstate.flow_activity(flowstate_tests.ctx(), now() - interval '2000 hours') $$) #>> '{detail,errors}',
          format('["%s buckets of 01:00:00 since %s are more than max_activity_buckets (1000)."]', 2000, now() - interval '2000 hours'),
          'more than max_activity_buckets hours is FS001, saying how many');
select is(jsonb_array_length(flowstate.flow_activity(flowstate_tests.ctx(), now() - interval '2000 hours', '1 day') -> 'buckets'),
          ((now() at time zone 'UTC')::date - ((now() - interval '2000 hours') at time zone 'UTC')::date) + 1,
          'the same range in days is fine: a bucket per day (UTC)');
select ok((select bool_and(((b ->> 'start')::timestamptz at time zone 'UTC')::time = '00:00')
             from jsonb_array_elements(flowstate.flow_activity(flowstate_tests.ctx(), now() - interval '7 days', '1 day') -> 'buckets') b),
          'a day bucket starts at midnight UTC');

select * from finish();
rollback;
