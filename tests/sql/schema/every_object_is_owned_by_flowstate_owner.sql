-- flowstate_owner (not a superuser, so forced row-level security applies to it) owns the
-- schema and every object in it: tables, partitions, indexes, sequences, types, functions.
begin;
\ir ../_helpers.sql
select plan(5);

select is((select pg_get_userbyid(nspowner) from pg_namespace where nspname = 'flowstate'), 'flowstate_owner',
          'flowstate_owner owns schema flowstate');
select is((select rolsuper or rolbypassrls from pg_roles where rolname = 'flowstate_owner'), false,
          'flowstate_owner is no superuser and does not bypass row-level security');
select is_empty($$ select oid::regclass::text, relkind::text, pg_get_userbyid(relowner) from pg_class
                    where relnamespace = 'flowstate'::regnamespace and pg_get_userbyid(relowner) <> 'flowstate_owner' $$,
                'every table, partition, index and sequence is owned by flowstate_owner');
select is_empty($$ select oid::regtype::text, pg_get_userbyid(typowner) from pg_type
                    where typnamespace = 'flowstate'::regnamespace and pg_get_userbyid(typowner) <> 'flowstate_owner' $$,
                'every type is owned by flowstate_owner');
select is_empty($$ select oid::regprocedure::text, pg_get_userbyid(proowner) from pg_proc
                    where pronamespace = 'flowstate'::regnamespace and pg_get_userbyid(proowner) <> 'flowstate_owner' $$,
                'every function is owned by flowstate_owner');

select * from finish();
rollback;
