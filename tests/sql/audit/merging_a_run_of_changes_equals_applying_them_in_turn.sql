-- Property: flowstate._jsonb_merge applies a run of change records in one pass exactly as
-- flowstate._jsonb_patch applies them one by one. Each run is the diffs of a random chain of
-- edits (sets, deletes, type changes object <-> scalar, arrays, nested deletes, a key changed
-- again after its parent was replaced), all concatenated, so later changes overwrite earlier
-- ones and parents are replaced after their children changed; the result is the chain's end.
begin;
\ir ../_helpers.sql
select plan(5);

do $$ begin perform setseed(0.777); end $$;
create temporary table chain (run int, step int, doc jsonb, primary key (run, step)) on commit drop;
do $$
declare
  v_doc jsonb;
begin
  for r in 1 .. 40 loop
    v_doc := flowstate_tests.random_object(4);
    for s in 0 .. 1 + floor(random() * 12)::int loop
      insert into chain values (r, s, v_doc);
      v_doc := case when s % 5 = 4 then jsonb_set(v_doc, '{a}', flowstate_tests.random_value(1))  -- a parent replaced
                    else flowstate_tests.random_edit(v_doc, 3) end;
    end loop;
  end loop;
end $$;
insert into chain values (41, 0, '{"a": {"b": {"c": 1}}, "k": 1}'), (41, 1, '{"a": {"b": {"c": 2}}, "k": 1}'),
                         (41, 2, '{"a": 5, "k": 1}'), (41, 3, '{"a": {"b": [1, 2]}, "k": 1}'),
                         (41, 4, '{"a": {"b": [1, 2], "d": {}}}'), (41, 5, '{"a": {"d": {"e": null}}}');
create temporary table run on commit drop as
  select c.run, (select doc from chain f where f.run = c.run and f.step = 0) as first,
         (select doc from chain l where l.run = c.run order by l.step desc limit 1) as last,
         coalesce(jsonb_agg(e.change order by c.step, e.n), '[]') as changes
    from chain c
    join chain nx on nx.run = c.run and nx.step = c.step + 1,
         lateral jsonb_array_elements(flowstate._jsonb_diff(c.doc, nx.doc, '{state_data}')) with ordinality as e(change, n)
   group by c.run;

select cmp_ok((select count(*)::int from run where jsonb_array_length(changes) >= 10), '>=', 20,
              'at least twenty runs have ten or more changes');
select cmp_ok((select count(*)::int from run r
                where exists (select from jsonb_array_elements(r.changes) with ordinality a(c, i),
                                          jsonb_array_elements(r.changes) with ordinality b(c, j)
                               where j > i and jsonb_array_length(b.c -> 0) < jsonb_array_length(a.c -> 0)
                                 and (a.c -> 0) @> (b.c -> 0) and a.c -> 0 -> 1 = b.c -> 0 -> 1)),
              '>=', 5, 'in at least five runs a parent changes after a change below it');
select is_empty($$ select run from run
                    where flowstate._jsonb_merge(jsonb_build_object('state_data', first), changes)
                          is distinct from jsonb_build_object('state_data', last) $$,
                'merged in one pass, every run rebuilds the end of its chain');
select is_empty($$ select run from run
                    where flowstate._jsonb_merge(jsonb_build_object('state_data', first), changes)
                          is distinct from flowstate._jsonb_patch(jsonb_build_object('state_data', first), changes) $$,
                'merging equals applying the changes one by one');
-- Changes no diff writes (below a missing key, into an array, on a non-object): as jsonb_set does.
select is(flowstate._jsonb_merge('{"a": {"b": [1, 2]}, "s": 1}',
                                 '[[["x", "y"], 1], [["x", "z"]], [["a", "b", "0"], 9], [["a", "b", "1", "q"]], [["a", "c"], 3]]'),
          flowstate._jsonb_patch('{"a": {"b": [1, 2]}, "s": 1}',
                                 '[[["x", "y"], 1], [["x", "z"]], [["a", "b", "0"], 9], [["a", "b", "1", "q"]], [["a", "c"], 3]]'),
          'changes below a missing key or into an array apply as jsonb_set applies them');

select * from finish();
rollback;
