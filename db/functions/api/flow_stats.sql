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
  v_tenant uuid[];  -- the caller's tenant; NULL for every tenant (an admin)
  v_since constant timestamptz := now() - interval '24 hours';
  v_flows jsonb;
  v_total bigint;
  v_audit record;
  v_checkpoints bigint;
  v_quarantine record;
begin
  if p_top < 0 then
    raise exception 'p_top must not be negative'
      using errcode = 'FS001', detail = jsonb_build_object('errors', jsonb_build_array(
        format('p_top (%s) must not be negative.', p_top)))::text;
  end if;
  perform flowstate._context(p_context);
  v_all := current_setting('flowstate.all_tenants', true) = 'on';
  select coalesce(jsonb_agg(to_jsonb(c) order by c.flow_type, c.current_phase, c.status), '[]'),
         coalesce(sum(c.flows), 0)
    into v_flows, v_total
    from flowstate.flow_counts(p_context) c;
  -- Every row for an admin; for a tenant, the rows of its flows, found by the tenant index
  -- (and narrowed by row-level security on flows: none for a context outside the caller's
  -- bindings). Separate statements: an OR of the two would read every tenant's rows.
  if v_all then
    select count(*) as total, count(*) filter (where a.logged_at >= v_since) as today,
           coalesce(sum(pg_column_size(a.*)) filter (where a.logged_at >= v_since), 0) as today_bytes
      into v_audit from flowstate.audit_log a;
    select count(*) into v_checkpoints from flowstate.checkpoints;
    select count(*) as total, count(*) filter (where q.archived_at >= v_since) as today
      into v_quarantine from flowstate.quarantine q;
  else
    v_tenant := array[(p_context ->> 'client_account_id')::uuid, (p_context ->> 'engagement_id')::uuid];
    select count(*) as total, count(*) filter (where a.logged_at >= v_since) as today,
           coalesce(sum(pg_column_size(a.*)) filter (where a.logged_at >= v_since), 0) as today_bytes
      into v_audit
      from flowstate.flows f join flowstate.audit_log a on a.flow_id = f.flow_id
     where f.client_account_id = v_tenant[1] and f.engagement_id = v_tenant[2];
    select count(*) into v_checkpoints
      from flowstate.flows f join flowstate.checkpoints c on c.flow_id = f.flow_id
     where f.client_account_id = v_tenant[1] and f.engagement_id = v_tenant[2];
    select count(*) as total, count(*) filter (where q.archived_at >= v_since) as today
      into v_quarantine
      from flowstate.flows f join flowstate.quarantine q on q.flow_id = f.flow_id
     where f.client_account_id = v_tenant[1] and f.engagement_id = v_tenant[2];
  end if;
  return jsonb_build_object(
    'flows', v_flows,
    'flows_total', v_total,
    'audit_rows', v_audit.total,
    'audit_bytes', case when v_all then
                     (select coalesce(sum(pg_total_relation_size(i.inhrelid)), 0) from pg_inherits i
                       where i.inhparent = 'flowstate.audit_log'::regclass) end,
    'audit_rows_24h', v_audit.today,
    'audit_bytes_24h', v_audit.today_bytes,
    'checkpoints', v_checkpoints,
    'checkpoint_bytes', case when v_all then pg_total_relation_size('flowstate.checkpoints') end,
    'quarantined', v_quarantine.total,
    'quarantined_24h', v_quarantine.today,
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
