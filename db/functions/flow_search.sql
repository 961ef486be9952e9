-- flowstate.flow_search
-- Find flows: a page of documents (without state_data), most recently updated first, and the
-- cursor of the next page (NULL after the last). p_filter keys (all optional, combined with
-- AND): flow_type, phase (current_phase), status, metadata (an object the flow's metadata
-- contains), external_id, created_after, created_before, updated_after, updated_before
-- (ISO timestamps), parent_flow_id (forks of a flow), client_account_id, engagement_id.
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
  v_rows flowstate.flows[];
begin
  perform flowstate._context(p_context);
  execute format('select array(%s)', flowstate._search_sql(p_filter, p_after, v_limit)) into v_rows;
  return jsonb_build_object(
    'flows', coalesce((select jsonb_agg(flowstate._document(v_rows[i], false) order by i)
                         from generate_subscripts(v_rows, 1) i where i <= v_limit), '[]'::jsonb),
    'next', case when cardinality(v_rows) > v_limit
                 then flowstate._search_cursor((v_rows[v_limit]).updated_at, (v_rows[v_limit]).flow_id) end);
end;
$$;

comment on function flowstate.flow_search(jsonb, jsonb, text, integer) is
'Find flows: {"flows": [documents without state_data], "next": cursor or null}, most recently updated first (ties by flow_id). p_filter (AND of any of): flow_type, phase, status, metadata (containment), external_id, created_after/created_before/updated_after/updated_before (ISO timestamps), parent_flow_id, client_account_id, engagement_id. p_after: the "next" of the previous page (keyset, stable under inserts). p_limit: 1 to max_search_page (default 50). Tenant callers see their own flows; admins with a NULL context all. Writes nothing. Errors: FS001 invalid context, filter, cursor or limit (DETAIL.errors lists every problem).';
