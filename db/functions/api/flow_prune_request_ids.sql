-- flowstate.flow_prune_request_ids
-- Forget request ids older than the setting request_ids_keep_hours (a retry after that
-- applies again), at most p_limit of them. Writes never prune, so they pay nothing for it:
-- schedule this (cron, pg_cron) hourly, and call it again while it returns p_limit. Admin only. Returns how many were removed. Raises FS001 (not an admin).
create or replace function flowstate.flow_prune_request_ids(p_limit integer default 100000)
returns bigint
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_before timestamptz;
  v_removed bigint;
begin
  perform flowstate._context(null);  -- raises FS001 unless the caller is an admin
  v_before := now() - make_interval(hours => (flowstate._settings() ->> 'request_ids_keep_hours')::integer);
  delete from flowstate.request_ids r
   where (r.flow_id, r.request_id) in (select o.flow_id, o.request_id from flowstate.request_ids o
                                        where o.created_at < v_before limit p_limit);
  get diagnostics v_removed = row_count;
  return v_removed;
end;
$$;

comment on function flowstate.flow_prune_request_ids(integer) is
'Remove request ids older than the setting request_ids_keep_hours (after that a retried write applies again), at most p_limit per call. Writes never prune: schedule it hourly, and repeat while it returns p_limit. Admin only. Returns the number removed. Errors: FS001 not an admin.';
