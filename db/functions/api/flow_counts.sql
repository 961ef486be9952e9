-- flowstate.flow_counts
-- How many flows there are, by flow type, current phase and status: the calling tenant's, or
-- every tenant's for an admin's NULL context. Read from flowstate.flow_tallies, which a trigger
-- on flows keeps (a few rows per tenant, not every flow). Raises FS001 (context).
create or replace function flowstate.flow_counts(p_context jsonb)
returns table (flow_type text, current_phase text, status text, flows bigint)
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  perform flowstate._context(p_context);
  -- Row-level security narrows the tallies to the tenant _context published (none for a
  -- context outside the caller's bindings). A tenant's rows are read by the primary key: one
  -- statement per case, since an OR of the two would scan every tenant's rows.
  if current_setting('flowstate.all_tenants') = 'on' then
    return query
      select t.flow_type, t.current_phase, t.status, sum(t.flows)::bigint
        from flowstate.flow_tallies t
       group by 1, 2, 3 having sum(t.flows) > 0 order by 1, 2, 3;
  else
    return query
      select t.flow_type, t.current_phase, t.status, sum(t.flows)::bigint
        from flowstate.flow_tallies t
       where t.client_account_id = (p_context ->> 'client_account_id')::uuid
         and t.engagement_id = (p_context ->> 'engagement_id')::uuid
       group by 1, 2, 3 having sum(t.flows) > 0 order by 1, 2, 3;
  end if;
end;
$$;

comment on function flowstate.flow_counts(jsonb) is
'Flows by (flow_type, current_phase, status), with their number: the calling tenant''s, or every tenant''s for an admin with a NULL context. Counted from tallies a trigger on flows keeps, so the cost does not grow with the number of flows. Writes nothing. Errors: FS001 invalid context.';
