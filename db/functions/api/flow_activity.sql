-- flowstate.flow_activity
-- Activity over time and what is quarantined, for the overview: the writes to flows (each one
-- audit row: create, save, transition, checkpoint, recovery, reset, ...) per p_bucket from p_since to now,
-- oldest first, empty buckets included; and how many flows have quarantined documents, how
-- many documents, how many were archived since p_since, and the ten flows archived last. The calling tenant's, or every
-- tenant's for an admin's NULL context. Writes are read from flowstate.activity_tallies (one
-- row per tenant, hour and writer slot), quarantine from its own small table: the cost does not
-- grow with the number of flows. Buckets (NULL: an hour) are whole hours (UTC), at most
-- max_activity_buckets of them; NULL p_since is 24 hours ago.
-- Returns {as_of, since, bucket, buckets: [{start, writes}], quarantined: {flows, documents,
-- since, newest: [{flow_id, flow_type, current_phase, status, archived_at}]}}. Writes nothing. Raises FS001 (context, bucket, p_since).
create or replace function flowstate.flow_activity(
  p_context jsonb, p_since timestamptz default null, p_bucket interval default interval '1 hour'
)
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
-- Generic plans: each statement reads either the caller's rows or (for an admin) every
-- tenant's, decided as it runs; custom plans for each call were planned again every time.
set plan_cache_mode = force_generic_plan
as $$
declare
  v_origin constant timestamptz := timestamptz '2000-01-01 00:00+00';
  v_since timestamptz := coalesce(p_since, now() - interval '24 hours');
  v_bucket constant interval := coalesce(p_bucket, interval '1 hour');
  v_errors text[] := '{}';
  v_first timestamptz;
  v_buckets jsonb;
  v_quarantined jsonb;
  v_tenant uuid[];  -- the caller's tenant; NULL for an admin's every tenant
  v_archived_ids uuid[];
  v_archived_generations bigint[];
  v_archived_at timestamptz[];
begin
  perform flowstate._context(p_context);
  if current_setting('flowstate.all_tenants') <> 'on' then
    v_tenant := array[(p_context ->> 'client_account_id')::uuid, (p_context ->> 'engagement_id')::uuid];
  end if;
  if v_bucket < interval '1 hour' or extract(epoch from v_bucket) % 3600 <> 0
     or extract(month from v_bucket) <> 0 or extract(year from v_bucket) <> 0 then
    v_errors := v_errors || format('p_bucket (%s) must be a whole number of hours or days, at least one hour.', v_bucket);
  elsif v_since > now() then
    v_errors := v_errors || format('p_since (%s) must not be in the future.', v_since);
  elsif extract(epoch from now() - v_since) / extract(epoch from v_bucket)
        > (flowstate._settings() ->> 'max_activity_buckets')::bigint then
    v_errors := v_errors || format('%s buckets of %s since %s are more than max_activity_buckets (%s).',
                                   ceil(extract(epoch from now() - v_since) / extract(epoch from v_bucket)),
                                   v_bucket, v_since, flowstate._settings() ->> 'max_activity_buckets');
  end if;
  if cardinality(v_errors) > 0 then
    raise exception 'invalid activity request: %', v_errors[1]
      using errcode = 'FS001', detail = jsonb_build_object('errors', v_errors)::text;
  end if;

  -- Buckets start on whole hours (UTC), so each holds whole hours of the tallies.
  v_first := date_bin(v_bucket, date_bin('1 hour', v_since, v_origin), v_origin);
  -- Row-level security narrows the tallies to the tenant _context published. A tenant's rows
  -- are read by the primary key, every tenant's by the hour index: the tenant condition is
  -- left out for an admin rather than ORed, which would scan every tenant's hours.
  select jsonb_agg(jsonb_build_object('start', b.start, 'writes', coalesce(w.writes, 0)) order by b.start)
    into v_buckets
    from generate_series(v_first, now(), v_bucket) b(start)
    left join (select date_bin(v_bucket, t.hour, v_origin) as start, sum(t.writes)::bigint as writes
                 from flowstate.activity_tallies t
                where t.hour >= v_first
                  and t.client_account_id = v_tenant[1] and t.engagement_id = v_tenant[2]
                group by 1
               union all
               select date_bin(v_bucket, t.hour, v_origin), sum(t.writes)::bigint
                 from flowstate.activity_tallies t
                where t.hour >= v_first and v_tenant is null
                group by 1) w on w.start = b.start;
  -- Quarantined documents: a tenant's by the tenant index, every tenant's for an admin (two
  -- statements: a union of both was planned for the larger and read every flow); then those of
  -- the flows the caller sees (row-level security on flows), of each flow's current life only
  -- (flowstate._generation's rule: a reused id starts clean).
  if v_tenant is null then
    select array_agg(q.flow_id), array_agg(q.generation), array_agg(q.archived_at)
      into v_archived_ids, v_archived_generations, v_archived_at
      from flowstate.quarantine q;
  else
    select array_agg(q.flow_id), array_agg(q.generation), array_agg(q.archived_at)
      into v_archived_ids, v_archived_generations, v_archived_at
      from flowstate.quarantine q
     where q.client_account_id = v_tenant[1] and q.engagement_id = v_tenant[2];
  end if;
  with quarantined as (
    select q.flow_id, q.archived_at, f.flow_type, f.current_phase::text, f.status::text
      from unnest(v_archived_ids, v_archived_generations, v_archived_at) q(flow_id, generation, archived_at)
      join flowstate.flows f on f.flow_id = q.flow_id and f.generation = q.generation)
  select jsonb_build_object('flows', (select count(distinct flow_id) from quarantined),
                            'documents', (select count(*) from quarantined),
                            'since', (select count(*) from quarantined where archived_at >= v_since),
                            'newest', (select coalesce(jsonb_agg(to_jsonb(n) order by n.archived_at desc, n.flow_id), '[]')
                                         from (select distinct on (flow_id) * from quarantined
                                                order by flow_id, archived_at desc) n
                                        where n.flow_id in (select flow_id from quarantined
                                                             order by archived_at desc limit 10)))
    into v_quarantined;
  return jsonb_build_object('as_of', now(), 'since', v_since, 'bucket', v_bucket::text,
                            'buckets', coalesce(v_buckets, '[]'), 'quarantined', v_quarantined);
end;
$$;

comment on function flowstate.flow_activity(jsonb, timestamptz, interval) is
'Activity and quarantine for the overview: {as_of, since, bucket, buckets: [{start, writes}], quarantined: {flows, documents, since, newest: [{flow_id, flow_type, current_phase, status, archived_at}]}}. Writes to flows (create, save, transition, checkpoint, recovery, ...) per p_bucket (whole hours, UTC; NULL or default: one hour) from p_since (NULL or default: 24 hours ago) to now, empty buckets included, at most max_activity_buckets; quarantined flows and documents (those archived since p_since, the flows archived last, at most 10). The calling tenant''s, or every tenant''s for an admin with a NULL context. Read from tallies a trigger on flows keeps: the cost does not grow with the number of flows. Writes nothing. Errors: FS001 invalid context, bucket or p_since.';
