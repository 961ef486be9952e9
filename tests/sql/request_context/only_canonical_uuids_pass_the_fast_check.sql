-- flowstate._context's fast check takes three canonical UUIDs in any case and nothing else: a
-- hyphen where a digit goes, a character that is not a hex digit (a multibyte one included),
-- braces, no hyphens, a digit too many or a missing key all go to the slow path, which refuses
-- them with FS001.
begin;
\ir ../_helpers.sql
select plan(12);

select ok(flowstate._context(flowstate_tests.ctx()), 'a canonical context passes');
select ok(flowstate._context(jsonb_build_object('client_account_id', upper(flowstate_tests.ctx() ->> 'client_account_id'),
                                                'engagement_id', flowstate_tests.ctx() ->> 'engagement_id',
                                                'user_id', flowstate_tests.ctx() ->> 'user_id')),
          'upper-case hex digits pass');
select is(flowstate_tests.outcome_of(format($$ select flowstate._context(%L) $$,
            flowstate_tests.ctx() || jsonb_build_object('user_id', c.id))) ->> 'sqlstate', 'FS001', c.why)
  from (values
    ('-' || substr(flowstate_tests.ctx() ->> 'user_id', 2), 'a hyphen where a hex digit goes is refused'),
    ('g' || substr(flowstate_tests.ctx() ->> 'user_id', 2), 'a letter that is not a hex digit is refused'),
    ('é' || substr(flowstate_tests.ctx() ->> 'user_id', 2), 'a multibyte character is refused'),
    ('{' || substr(flowstate_tests.ctx() ->> 'user_id', 2, 34) || '}', 'braces are refused'),
    (replace(flowstate_tests.ctx() ->> 'user_id', '-', ''), 'a UUID without hyphens is refused'),
    (overlay(flowstate_tests.ctx() ->> 'user_id' placing '-0' from 8 for 2), 'a hyphen one place early is refused'),
    ('0' || (flowstate_tests.ctx() ->> 'user_id'), 'a hex digit too many is refused'),
    ('0' || substr(flowstate_tests.ctx() ->> 'user_id', 1, 35), 'a UUID with its digits one place late is refused')
  ) as c(id, why);
select is(flowstate_tests.outcome_of($$ select flowstate._context(flowstate_tests.ctx() - 'user_id') $$) ->> 'sqlstate', 'FS001',
          'a missing key is refused');
select is(flowstate_tests.outcome_of(format($$ select flowstate._context(%L) $$, jsonb_build_object(
            'client_account_id', repeat('-', 36), 'engagement_id', repeat('-', 36), 'user_id', repeat('-', 36)))) ->> 'sqlstate',
          'FS001', 'hyphens alone are not UUIDs');

select * from finish();
rollback;
