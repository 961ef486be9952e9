-- flowstate.flow_counts
-- How many flows there are, by flow type, current phase and status: the calling tenant's, or
-- every tenant's for an admin's NULL context. Raises FS001 (context).
create or replace function flowstate.flow_counts(p_context jsonb)
returns table (flow_type text, current_phase text, status text, flows bigint)
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  perform flowstate._context(p_context);
  if current_setting('flowstate.all_tenants') = 'on' then
    return query
      select f.flow_type, f.current_phase::text, f.status::text, count(*)
        from flowstate.flows f
       group by 1, 2, 3 order by 1, 2, 3;
  else
    -- The tenant's columns as conditions, so its index serves (row-level security agrees).
    return query
      select f.flow_type, f.current_phase::text, f.status::text, count(*)
        from flowstate.flows f
       where f.client_account_id = (p_context ->> 'client_account_id')::uuid
         and f.engagement_id = (p_context ->> 'engagement_id')::uuid
       group by 1, 2, 3 order by 1, 2, 3;
  end if;
end;
$$;

comment on function flowstate.flow_counts(jsonb) is
'Flows by (flow_type, current_phase, status), with their number: the calling tenant''s, or every tenant''s for an admin with a NULL context. Writes nothing. Errors: FS001 invalid context.';
