-- flowstate_app may execute every public flow_* function and no internal _* function
-- (PUBLIC has no EXECUTE either); calling an internal function directly is refused.
begin;
\ir ../_helpers.sql
select plan(6);

select cmp_ok((select count(*)::int from pg_proc where pronamespace = 'flowstate'::regnamespace and proname like 'flow\_%'),
              '>=', 7, 'schema flowstate has the public flow_* functions');
select is_empty($$ select oid::regprocedure::text from pg_proc
                    where pronamespace = 'flowstate'::regnamespace and proname like 'flow\_%'
                      and not has_function_privilege('flowstate_app', oid, 'EXECUTE') $$,
                'flowstate_app can execute every flow_* function');
select is_empty($$ select oid::regprocedure::text from pg_proc
                    where pronamespace = 'flowstate'::regnamespace and proname not like 'flow\_%'
                      and has_function_privilege('flowstate_app', oid, 'EXECUTE') $$,
                'flowstate_app can execute no other function of schema flowstate');
select is_empty($$ select p.oid::regprocedure::text from pg_proc p, aclexplode(p.proacl) a
                    where p.pronamespace = 'flowstate'::regnamespace and a.grantee = 0 $$,
                'PUBLIC is granted nothing on the functions');
select is_empty($$ select oid::regprocedure::text from pg_proc
                    where pronamespace = 'flowstate'::regnamespace and proacl is null $$,
                'no function keeps the default ACL (which lets PUBLIC execute it)');

set local role flowstate_app;
select throws_ok($$ select flowstate._context(null) $$, '42501', null, 'calling an internal function directly is refused');

select * from finish();
rollback;
