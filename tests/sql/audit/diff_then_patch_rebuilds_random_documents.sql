-- Property: for random documents, applying the changes flowstate._jsonb_diff finds
-- rebuilds the new document exactly: _jsonb_patch(old, _jsonb_diff(old, new, '{}')) = new.
-- Pairs are edits of one another (shared structure, so the diff descends) and unrelated
-- documents; keys include awkward ones ('', '0', '-1', quotes, braces, emoji).
begin;
\ir ../_helpers.sql
select plan(5);

do $$ begin perform setseed(0.4242); end $$;
create temporary table pair (n int, old jsonb, new jsonb) on commit drop;
insert into pair select n, o, flowstate_tests.random_edit(o, 3)
  from generate_series(1, 60) n, lateral (select flowstate_tests.random_object(4) as o where n > 0) r;
insert into pair select n, flowstate_tests.random_object(3), flowstate_tests.random_object(3) from generate_series(61, 80) n;
insert into pair values (81, '{}', '{"a": {"b": [1, {"c": null}]}}'), (82, '{"a": {"b": 1}}', '{}'),
                        (83, '{"a": {"b": 1}}', '{"a": [1]}'), (84, '{"a": null}', '{}'), (85, '{}', '{"a": null}'),
                        (86, '{"": {"": 1}}', '{"": {"": 2, "0": 3}}');

select cmp_ok((select count(*)::int from pair where old <> new), '>=', 70, 'most of the 86 pairs differ');
select is_empty($$ select n, old, new, flowstate._jsonb_patch(old, flowstate._jsonb_diff(old, new, '{}')) as rebuilt
                     from pair where flowstate._jsonb_patch(old, flowstate._jsonb_diff(old, new, '{}')) is distinct from new $$,
                'every new document is rebuilt exactly from the old one and the diff');
select is_empty($$ select n from pair where old = new and flowstate._jsonb_diff(old, new, '{}') <> '[]' $$,
                'identical documents have an empty diff');
select is_empty($$ select n from pair
                    where flowstate._jsonb_patch(jsonb_build_object('state_data', old),
                                                 flowstate._jsonb_diff(old, new, '{state_data}'))
                          is distinct from jsonb_build_object('state_data', new) $$,
                'with a path prefix, the diff rebuilds the document nested under it');
select cmp_ok((select count(*)::int from pair
                 where exists (select from jsonb_array_elements(flowstate._jsonb_diff(old, new, '{}')) e
                                where jsonb_array_length(e -> 0) > 1)),
              '>=', 10, 'the diffs of at least ten pairs descend into nested objects');

select * from finish();
rollback;
