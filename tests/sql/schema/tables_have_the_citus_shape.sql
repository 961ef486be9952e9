-- The schema is ready to be distributed by flow_id (docs/citus.md): every table is either a
-- per-flow table whose primary and unique keys all include flow_id, or a known small
-- configuration table (a Citus reference table), or one of the overview's tallies (aggregates
-- per tenant a trigger on flows keeps, see docs/citus.md). A new table must choose one.
begin;
\ir ../_helpers.sql
select plan(3);

create temp table reference_tables (name text) on commit drop;
insert into reference_tables values ('flow_types'), ('phase_transitions'), ('settings'),
                                    ('function_files'), ('retention_log'), ('role_tenants'), ('retention_policies'),
                                    ('flow_tallies'), ('activity_tallies');

-- Ordinary and partitioned tables, not the partitions themselves.
create temp view flowstate_tables as
  select c.oid, c.relname::text as name
    from pg_class c
   where c.relnamespace = 'flowstate'::regnamespace and c.relkind in ('r', 'p') and not c.relispartition;

select is(array(select t.name from flowstate_tables t
                 where t.name not in (select name from reference_tables)
                   and not exists (select from pg_attribute a where a.attrelid = t.oid and a.attname = 'flow_id')
                 order by 1),
          '{}'::text[], 'every table but the reference tables has a flow_id column');

select is(array(select format('%s.%s', t.name, con.conname) from flowstate_tables t
                  join pg_constraint con on con.conrelid = t.oid and con.contype in ('p', 'u')
                 where t.name not in (select name from reference_tables)
                   and not exists (select from unnest(con.conkey) k
                                     join pg_attribute a on a.attrelid = t.oid and a.attnum = k
                                    where a.attname = 'flow_id')
                 order by 1),
          '{}'::text[], 'every primary and unique key of a per-flow table includes flow_id');

select is(array(select t.name from flowstate_tables t
                 where t.name not in (select name from reference_tables)
                   and not exists (select from pg_constraint con where con.conrelid = t.oid and con.contype = 'p')
                 order by 1),
          '{}'::text[], 'every per-flow table has a primary key');

select * from finish();
rollback;
