-- Every SECURITY DEFINER function pins search_path (to '', with qualified names inside),
-- so a caller's search_path cannot redirect what it runs as the owner.
begin;
\ir ../_helpers.sql
select plan(3);

select cmp_ok((select count(*)::int from pg_proc where pronamespace = 'flowstate'::regnamespace and prosecdef),
              '>=', 7, 'the public functions are SECURITY DEFINER');
select is_empty($$ select oid::regprocedure::text from pg_proc
                    where pronamespace = 'flowstate'::regnamespace and prosecdef
                      and not coalesce('search_path=""' = any (proconfig), false) $$,
                'every SECURITY DEFINER function has SET search_path = ''''');
select is_empty($$ select oid::regprocedure::text from pg_proc
                    where pronamespace = 'flowstate'::regnamespace and proname like 'flow\_%' and not prosecdef $$,
                'every public flow_* function is SECURITY DEFINER (the app role has no table access of its own)');

select * from finish();
rollback;
