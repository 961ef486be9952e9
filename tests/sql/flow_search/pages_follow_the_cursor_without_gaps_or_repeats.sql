-- Keyset pagination: following "next" lists every flow exactly once in list order (ties in
-- updated_at broken by flow_id), the last page has no next cursor, and flows updated while
-- paging move to the front instead of being listed twice or shifting the pages.
begin;
\ir ../_helpers.sql
\ir ../_lifecycle.sql
select plan(6);

-- 23 flows: 13 updated at one and the same moment (a tie), 10 a second apart.
create temporary table made (n int, flow_id uuid) on commit drop;
insert into made select n, flowstate_tests.make_flow() from generate_series(1, 23) n;
select flowstate_tests.backdate_flow(flow_id, now() - interval '1 hour' - case when n > 13 then n * interval '1 second' else '0' end)
  from made;

create temporary table pages (page int, position int, flow_id uuid) on commit drop;
grant all on pages to public;
do $$
declare
  v_page jsonb;
  v_after text;
  v_n int := 0;
begin
  loop
    v_n := v_n + 1;
    v_page := flowstate.flow_search('{}', flowstate_tests.ctx(), v_after, 5);
    insert into pages select v_n, d.n, (d.doc ->> 'flow_id')::uuid from jsonb_array_elements(v_page -> 'flows') with ordinality d(doc, n);
    if v_n = 2 then
      -- A flow of page 1 and one of a later page are saved meanwhile.
      perform flowstate.flow_save_state(f, flowstate_tests.doc(f, p_state_data => '{"later": true}'), 1, flowstate_tests.ctx())
         from (select flow_id as f from pages where page = 1 limit 1) p;
      perform flowstate.flow_save_state(f, flowstate_tests.doc(f, p_state_data => '{"later": true}'), 1, flowstate_tests.ctx())
         from (select m.flow_id as f from made m where m.n = 23) p;
    end if;
    v_after := v_page ->> 'next';
    exit when v_after is null or v_n > 10;
  end loop;
end $$;

select is((select count(*) from pages), 22::bigint, 'every flow but the one updated ahead of the cursor is listed once');
select is((select count(distinct flow_id) from pages), 22::bigint, 'none twice');
select is((select max(page) from pages), 5, 'five pages of at most 5');
select is((select flow_id from made where n = 23) in (select flow_id from pages), false,
          'the flow updated during paging moved ahead of the cursor (it heads the next first page)');
select is(array(select flow_id from pages where page > 1 order by page, position),
          array(select m.flow_id from made m join flowstate.flows f using (flow_id)
                 where m.flow_id not in (select flow_id from pages where page = 1) and m.n <> 23
                 order by f.updated_at desc, f.flow_id desc),
          'the pages after the first list the rest in order: newest update first, ties by flow_id');
select is((flowstate.flow_search('{}', flowstate_tests.ctx(), null, 23) ->> 'next'), null, 'a page holding the last flow has no next cursor');

select * from finish();
rollback;
