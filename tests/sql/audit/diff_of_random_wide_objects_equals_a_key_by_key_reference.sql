-- Property: flowstate._jsonb_diff gives exactly the changes, in the same order, of a plain
-- reference that looks every key up on the other side (the implementation before the
-- side-by-side scan): sets in key order, then deletions, then the changes below each changed
-- object. Random objects narrow (up to 32 keys, walked key by key) and wide (33 to 150 keys:
-- both sides scanned side by side, with lookups for the rows that keys added or deleted put
-- out of line), at the top and nested, with values replaced (object <-> scalar, arrays,
-- nulls), edited in place, numbers rewritten equal but not byte-equal (1 and 1.00), keys
-- deleted and added.
begin;
\ir ../_helpers.sql
select plan(8);

create function pg_temp.diff_reference(p_old jsonb, p_new jsonb, p_path text[])
returns jsonb language plpgsql immutable as $$
declare
  v_changes jsonb;
  v_nested text[];
  v_key text;
begin
  if not coalesce(jsonb_typeof(p_old) = 'object' and jsonb_typeof(p_new) = 'object', false) then
    return case when p_old is not distinct from p_new then '[]'::jsonb
                when p_new is null then jsonb_build_array(jsonb_build_array(p_path))
                else jsonb_build_array(jsonb_build_array(p_path, p_new)) end;
  end if;
  select coalesce(jsonb_agg(jsonb_build_array(p_path || n.key, n.value) order by n.pos)
                    filter (where jsonb_typeof(p_old -> n.key) is distinct from 'object' or jsonb_typeof(n.value) <> 'object'), '[]'),
         array_agg(n.key order by n.pos) filter (where jsonb_typeof(p_old -> n.key) = 'object' and jsonb_typeof(n.value) = 'object')
    into v_changes, v_nested
    from jsonb_each(p_new) with ordinality n(key, value, pos)
   where p_old -> n.key is distinct from n.value;
  v_changes := v_changes || coalesce((select jsonb_agg(jsonb_build_array(p_path || o.key) order by o.pos)
                                        from jsonb_object_keys(p_old) with ordinality o(key, pos)
                                       where not p_new ? o.key), '[]');
  foreach v_key in array coalesce(v_nested, '{}') loop
    v_changes := v_changes || pg_temp.diff_reference(p_old -> v_key, p_new -> v_key, p_path || v_key);
  end loop;
  return v_changes;
end;
$$;

-- p_value with every number rewritten with two more decimals: equal as jsonb, other bytes.
create function pg_temp.renumbered(p_value jsonb)
returns jsonb language sql immutable as $$
  select case jsonb_typeof(p_value)
           when 'number' then to_jsonb(p_value::numeric * 1.00)
           when 'object' then coalesce((select jsonb_object_agg(key, pg_temp.renumbered(value)) from jsonb_each(p_value)), '{}')
           when 'array' then coalesce((select jsonb_agg(pg_temp.renumbered(value) order by pos)
                                         from jsonb_array_elements(p_value) with ordinality a(value, pos)), '[]')
           else p_value end
$$;

-- An object of p_keys keys of several lengths (so key order is not insertion order).
create function pg_temp.wide_object(p_keys int)
returns jsonb language sql volatile as $$
  select jsonb_object_agg(case n % 3 when 0 then 'k' || n when 1 then 'item_' || n else repeat('z', n % 7) || n end,
                          case when random() < 0.3 then flowstate_tests.random_object(2) else flowstate_tests.random_value(2) end)
    from generate_series(1, p_keys) n
$$;

-- p_doc with about p_rate of its keys changed: replaced, edited in place, renumbered (equal)
-- and, with p_keys_change, deleted, plus keys added.
create function pg_temp.wide_edit(p_doc jsonb, p_rate float8, p_keys_change boolean)
returns jsonb language plpgsql volatile as $$
declare
  v jsonb := '{}';
  v_key text;
  v_value jsonb;
  v_roll float8;
begin
  for v_key, v_value in select key, value from jsonb_each(p_doc) loop
    v_roll := random() / p_rate;
    if v_roll < 0.25 then
      v := v || jsonb_build_object(v_key, flowstate_tests.random_value(2));
    elsif v_roll < 0.5 then
      v := v || jsonb_build_object(v_key, flowstate_tests.random_edit(v_value, 2));
    elsif v_roll < 0.7 then
      v := v || jsonb_build_object(v_key, pg_temp.renumbered(v_value));
    elsif v_roll < 0.9 and p_keys_change then
      continue;
    else
      v := v || jsonb_build_object(v_key, v_value);
    end if;
  end loop;
  if p_keys_change then
    for i in 1 .. 1 + floor(random() * 3)::int loop
      v := v || jsonb_build_object((array['a', 'new_' || i, 'zzzzzzzzzz' || i])[1 + floor(random() * 3)::int],
                                   flowstate_tests.random_value(2));
    end loop;
  end if;
  return v;
end;
$$;

do $$ begin perform setseed(0.1717); end $$;
create temporary table pair (n int, old jsonb, new jsonb) on commit drop;
-- Wide and narrow objects, lined up (values only) and with keys added and deleted, at the top
-- and one level down (where the top level is narrow and the wide object below it changed).
insert into pair
  select n, o, pg_temp.wide_edit(o, case when n % 4 = 0 then 0.02 else 0.2 end, n % 2 = 0)
    from generate_series(1, 80) n, lateral (select pg_temp.wide_object(case when n <= 60 then 33 + (n * 7) % 118 else 2 + n % 31 end) as o
                                               where n > 0) w;
insert into pair
  select 100 + n, jsonb_build_object('assets', o, 'iteration', n),
         jsonb_build_object('assets', pg_temp.wide_edit(o, 0.03, n % 2 = 0), 'iteration', n + n % 3)
    from generate_series(1, 20) n, lateral (select pg_temp.wide_object(40 + n * 10) as o where n > 0) w;
-- Equal but not byte-equal, wide and narrow, and the boundary between the two ways.
insert into pair
  select 200 + n, o, pg_temp.renumbered(o)
    from generate_series(1, 6) n, lateral (select pg_temp.wide_object((array[3, 32, 33, 34, 60, 120])[n]) as o where n > 0) w;
insert into pair values
  (301, '{"a": {"x": 1}}', '{"a": {"x": 1.0}}'), (302, '1', '1.0'), (303, '{"a": 1}', '{"a": {"a": 1}}'),
  (304, '{"a": {"a": 1}}', '{"a": 1}'), (305, '{"a": null}', '{}'), (306, '{}', '{"a": null}'),
  (307, '{"a": [1, {"b": 2}]}', '{"a": [1, {"b": 2.0}]}'), (308, '{"a": [1, {"b": 2}]}', '{"a": [1, {"b": 3}]}'),
  (309, '{"a": {}}', '{"a": []}'), (310, null, '{"a": 1}'), (311, '{"a": 1}', null), (312, '{"": {"": 1}}', '{"": {"": 2, "0": 3}}');
-- A key renamed among equal values: the rows of both sides hold equal values, not equal keys.
insert into pair select 313, o, o - 'k5' || '{"k99": 1}'
  from (select jsonb_object_agg('k' || n, 1) as o from generate_series(1, 40) n) w;
insert into pair select 400 + n, new, old from pair where n < 400;

select cmp_ok((select count(*)::int from pair
                where jsonb_typeof(old) = 'object' and old <> new
                  and (select count(*) from jsonb_object_keys(old)) > 32
                  and array(select jsonb_object_keys(old)) = array(select jsonb_object_keys(new))),
              '>=', 30, 'at least thirty pairs of changed wide objects have the same keys');
select cmp_ok((select count(*)::int from pair
                where jsonb_typeof(old) = 'object' and (select count(*) from jsonb_object_keys(old)) > 32
                  and array(select jsonb_object_keys(old)) <> array(select jsonb_object_keys(new))),
              '>=', 30, 'and at least thirty had keys added or deleted');
select cmp_ok((select count(*)::int from pair where old = new and not row(old)::record *= row(new)::record),
              '>=', 10, 'at least ten pairs are equal with numbers written differently');
select cmp_ok((select count(*)::int from pair
                where exists (select from jsonb_array_elements(pg_temp.diff_reference(old, new, '{}')) e
                               where jsonb_array_length(e -> 0) > 2)),
              '>=', 30, 'at least thirty diffs change something two levels down');
select is_empty($$ select n, old, new from pair
                    where flowstate._jsonb_diff(old, new, '{state_data}') is distinct from pg_temp.diff_reference(old, new, '{state_data}') $$,
                'every diff has the reference''s changes, in its order');
select is_empty($$ select n from pair where old = new and flowstate._jsonb_diff(old, new, '{}') <> '[]' $$,
                'equal documents, byte-equal or not, have an empty diff');
select is_empty($$ select n from pair
                    where jsonb_typeof(old) = 'object' and jsonb_typeof(new) = 'object'
                      and flowstate._jsonb_patch(old, flowstate._jsonb_diff(old, new, '{}')) is distinct from new $$,
                'applying the diff to the old object rebuilds the new one');
select is(flowstate._jsonb_diff('{"a": {"x": 1, "y": [1]}, "b": 1, "c": 2}', '{"a": {"x": 2, "y": [1.0]}, "b": {"z": 1}, "d": null}', '{s}'),
          '[[["s", "b"], {"z": 1}], [["s", "d"], null], [["s", "c"]], [["s", "a", "x"], 2]]',
          'sets in key order, then deletions, then the changes below');

select * from finish();
rollback;
