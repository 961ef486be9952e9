-- flowstate.flow_stats
-- What the database holds and how it is used, for monitoring (`pgflowstate stats` prints it):
-- flows by type, phase and status (flow_counts), and their total; audit rows, checkpoints and
-- quarantined documents, with the audit trail's growth and the archives of the last 24 hours;
-- for admins (NULL context) also the bytes on disk and the p_top slowest flowstate functions by
-- mean time (pg_stat_user_functions, which needs track_functions = 'pl', reported too). A
-- tenant's context counts that tenant's flows only; the server-wide figures are then NULL.
-- Statement timings are pg_stat_statements' (read it with your own rights: it shows another
-- role's statements only to members of pg_read_all_stats).
-- Returns one jsonb document; writes nothing. Raises FS001 (context, negative p_top).
create or replace function flowstate.flow_stats(p_context jsonb, p_top integer default 10)
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  v_all boolean;
  v_since constant timestamptz := now() - interval '24 hours';
  v_flows jsonb;
  v_total bigint;
begin
  if p_top < 0 then
    raise exception 'p_top must not be negative'
      using errcode = 'FS001', detail = jsonb_build_object('errors', jsonb_build_array(
        format('p_top (%s) must not be negative.', p_top)))::text;
  end if;
  perform flowstate._context(p_context);
  v_all := current_setting('flowstate.all_tenants', true) = 'on';  -- else row-level security narrows flows
  select coalesce(jsonb_agg(to_jsonb(c) order by c.flow_type, c.current_phase, c.status), '[]'),
         coalesce(sum(c.flows), 0)
    into v_flows, v_total
    from flowstate.flow_counts(p_context) c;
  return jsonb_build_object(
    'flows', v_flows,
    'flows_total', v_total,
    'audit_rows', (select count(*) from flowstate.audit_log a
                    where v_all or a.flow_id in (select f.flow_id from flowstate.flows f)),
    'audit_bytes', case when v_all then
                     (select coalesce(sum(pg_total_relation_size(i.inhrelid)), 0) from pg_inherits i
                       where i.inhparent = 'flowstate.audit_log'::regclass) end,
    'audit_rows_24h', (select count(*) from flowstate.audit_log a
                        where a.logged_at >= v_since
                          and (v_all or a.flow_id in (select f.flow_id from flowstate.flows f))),
    'audit_bytes_24h', (select coalesce(sum(pg_column_size(a.*)), 0) from flowstate.audit_log a
                         where a.logged_at >= v_since
                           and (v_all or a.flow_id in (select f.flow_id from flowstate.flows f))),
    'checkpoints', (select count(*) from flowstate.checkpoints c
                     where v_all or c.flow_id in (select f.flow_id from flowstate.flows f)),
    'checkpoint_bytes', case when v_all then pg_total_relation_size('flowstate.checkpoints') end,
    'quarantined', (select count(*) from flowstate.quarantine q
                     where v_all or q.flow_id in (select f.flow_id from flowstate.flows f)),
    'quarantined_24h', (select count(*) from flowstate.quarantine q
                         where q.archived_at >= v_since
                           and (v_all or q.flow_id in (select f.flow_id from flowstate.flows f))),
    'track_functions', current_setting('track_functions'),
    'slowest_functions', case when v_all then
                           (select coalesce(jsonb_agg(to_jsonb(s) order by s.mean_ms desc), '[]')
                              from (select u.funcname::text as function, u.calls, u.total_time / u.calls as mean_ms,
                                           u.total_time as total_ms, u.self_time as self_ms
                                      from pg_stat_user_functions u
                                     where u.schemaname = 'flowstate' and u.calls > 0
                                     order by u.total_time / u.calls desc
                                     limit p_top) s) end);
end;
$$;

comment on function flowstate.flow_stats(jsonb, integer) is
'Monitoring figures as one jsonb document: flows by type, phase and status and their total; audit rows, checkpoints and quarantined documents, with the audit trail''s growth and the archives of the last 24 hours; for a NULL context (admins) every tenant, the bytes on disk and the p_top slowest flowstate functions (pg_stat_user_functions); for a tenant''s context its own flows only, server-wide figures NULL. Writes nothing. Errors: FS001 invalid context or negative p_top.';
