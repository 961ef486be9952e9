-- flowstate._is_uuid (the UUID check of validation, saves, batches, search filters and
-- flow_id_for) accepts exactly what the canonical pattern '^[0-9a-fA-F]{8}-...{12}$' accepts:
-- random UUIDs in any case, and each of them broken one way (a character dropped, added or
-- replaced by a hyphen, a non-hex letter, a multibyte letter or a space, a hyphen moved).
begin;
\ir ../_helpers.sql
select plan(3);

create temp table candidates as
with ids as (
  select case n % 3 when 0 then u when 1 then upper(u) else overlay(u placing upper(substr(u, 1, 8)) from 1 for 8) end as id, n
    from (select gen_random_uuid()::text as u, n from generate_series(1, 300) n) s
)
select id as candidate from ids
union all select overlay(id placing '' from 1 + n % 36 for 1) from ids
union all select overlay(id placing substr(id, 1 + n % 36, 1) from 1 + n % 36 for 0) from ids
union all select overlay(id placing '-' from 1 + n % 36 for 1) from ids
union all select overlay(id placing (array['g', 'é', ' ', 'G', '{'])[1 + n % 5] from 1 + n % 36 for 1) from ids
union all select overlay(overlay(id placing '' from 9 for 1) placing '-' from 1 + n % 35 for 0) from ids
union all select candidate from unnest(array['', '------------------------------------', null]) candidate;

select is((select count(*) from candidates
            where flowstate._is_uuid(candidate) is distinct from
                  (candidate ~ '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$')),
          0::bigint, 'every candidate is judged as the pattern judges it');
select cmp_ok((select count(*) from candidates where flowstate._is_uuid(candidate)), '>=', 300::bigint,
              'the UUIDs pass, in any case');
select cmp_ok((select count(*) from candidates where not flowstate._is_uuid(candidate)), '>=', 1000::bigint,
              'and the broken ones are refused');

select * from finish();
rollback;
