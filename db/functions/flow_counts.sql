-- flowstate.flow_counts
-- How many flows there are, by flow type, current phase and status: the flows the context may
-- see (a tenant's own; every tenant's for an admin's NULL). Rows ordered by type, phase and
-- status. Writes nothing. Raises FS001 (context).
create or replace function flowstate.flow_counts(p_context jsonb)
returns table (flow_type text, current_phase text, status text, flows bigint)
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  perform flowstate._context(p_context);  -- row-level security then shows only these flows
  return query
    select f.flow_type::text, f.current_phase::text, f.status::text, count(*)
      from flowstate.flows f
     group by 1, 2, 3
     order by 1, 2, 3;
end;
$$;

comment on function flowstate.flow_counts(jsonb) is
'How many flows there are by (flow_type, current_phase, status): the tenant''s own, or every tenant''s for a NULL context (admins). Writes nothing. Errors: FS001 invalid context.';
