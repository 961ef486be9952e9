-- flowstate.flow_validate_all
-- Validate every stored flow (a whole-database check for DBAs; admin only).
-- Returns one row per invalid flow with all its problems.
create or replace function flowstate.flow_validate_all()
returns table (flow_id uuid, errors text[])
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  perform flowstate._context(null);  -- raises FS001 unless the caller is an admin
  return query
    select f.flow_id, v.errors
      from flowstate.flows f,
           lateral (select flowstate._validation_errors(flowstate._document(f, true), f.flow_type) as errors) v
     where cardinality(v.errors) > 0
     order by f.flow_id;
end;
$$;

comment on function flowstate.flow_validate_all() is
'Validate every stored flow document; returns (flow_id, errors) for each invalid one. For flowstate_admin members and superusers. Errors: FS001 when called without admin rights.';
