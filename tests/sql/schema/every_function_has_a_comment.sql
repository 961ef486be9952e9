-- Every function and table in schema flowstate is documented with COMMENT ON, so a DBA
-- can read the API from psql (\df+, \dt+).
begin;
\ir ../_helpers.sql
select plan(3);

select is_empty($$ select oid::regprocedure::text from pg_proc
                    where pronamespace = 'flowstate'::regnamespace and obj_description(oid, 'pg_proc') is null $$,
                'every function has a COMMENT');
select is_empty($$ select oid::regprocedure::text from pg_proc
                    where pronamespace = 'flowstate'::regnamespace and proname like 'flow\_%'
                      and obj_description(oid, 'pg_proc') !~ 'FS0[0-9][0-9]|Writes nothing' $$,
                'every public function''s COMMENT names the SQLSTATEs it raises (or says it writes nothing)');
select is_empty($$ select oid::regclass::text from pg_class
                    where relnamespace = 'flowstate'::regnamespace and relkind in ('r', 'p') and not relispartition
                      and obj_description(oid, 'pg_class') is null $$,
                'every table has a COMMENT');

select * from finish();
rollback;
