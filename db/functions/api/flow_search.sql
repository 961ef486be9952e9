-- flowstate.flow_search
-- Find flows: a page of documents (without state_data), most recently updated first, and the
-- cursor of the next page (NULL after the last). p_filter keys (all optional, combined with
-- AND): flow_type, phase (current_phase), status, metadata (an object the flow's metadata
-- contains), external_id, created_after, created_before, updated_after, updated_before
-- (ISO timestamps), parent_flow_id (forks of a flow), client_account_id, engagement_id,
-- quarantined (true: flows with a quarantined document of their current life; false: none).
-- Tenant callers see their tenant's flows; an admin's NULL context sees every tenant's.
-- Keyset pagination: pass "next" as p_after for the page after. Raises FS001 (context, or
-- every problem with the filter, cursor or page size).
create or replace function flowstate.flow_search(
  p_filter jsonb, p_context jsonb, p_after text default null, p_limit integer default 50
)
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
-- A page is a walk down an index in the order it is listed, stopping after the page. The
-- planner cannot see that: row-level security (forced on flows) filters the tenant a second
-- time, the planner counts that filter's selectivity again, expects a handful of rows where a
-- tenant has thousands, and would read and sort all of them. Index scans only, then: the
-- tenant's or the all-flows index in order, or an index of the filter (external_id, parent).
set enable_seqscan = off
set enable_bitmapscan = off
as $$
declare
  v_limit integer := coalesce(p_limit, 50);
  v_flows jsonb;
  v_next text;
begin
  perform flowstate._context(p_context);
  -- The page's documents, and the cursor of its last flow if one more follows, in the query
  -- itself: rows held in a PL/pgSQL array cost more to take apart than to turn into JSON.
  execute format(
    'select coalesce(jsonb_agg(flowstate._document(p.f, false) order by p.n) filter (where p.n <= %1$s), ''[]''),
            min(flowstate._search_cursor((p.f).updated_at, (p.f).flow_id)) filter (where p.n = %1$s and p.rows > %1$s)
       from (select q.f, row_number() over (order by (q.f).updated_at desc, (q.f).flow_id desc) as n, count(*) over () as rows
               from (%2$s) q(f)) p',
    v_limit, flowstate._search_sql(p_filter, p_after, v_limit))
  into v_flows, v_next;
  return jsonb_build_object('flows', v_flows, 'next', v_next);
end;
$$;

comment on function flowstate.flow_search(jsonb, jsonb, text, integer) is
'Find flows: {"flows": [documents without state_data], "next": cursor or null}, most recently updated first (ties by flow_id). p_filter (AND of any of): flow_type, phase, status, metadata (containment), external_id, created_after/created_before/updated_after/updated_before (ISO timestamps), parent_flow_id, client_account_id, engagement_id, quarantined (true: flows with a quarantined document of their current generation; false: flows without). p_after: the "next" of the previous page (keyset, stable under inserts). p_limit: 1 to max_search_page (default 50). Tenant callers see their own flows; admins with a NULL context all. Writes nothing. Errors: FS001 invalid context, filter, cursor or limit (DETAIL.errors lists every problem).';
