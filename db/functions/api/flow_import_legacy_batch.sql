-- flowstate.flow_import_legacy_batch
-- Import many legacy (CrewAI SQLite) flows in one call, as flowstate.flow_import_legacy would
-- import each: one round trip and one commit for the batch instead of one per flow. Sizes, JSON
-- and row hashes are checked once for the whole batch and the rows stored by one INSERT; the new,
-- plain flows (the common case) are imported set-based (flowstate._import_legacy_new_flows);
-- every other flow by itself in a subtransaction of its own, so a flow refused (or failing) is
-- rolled back alone and the others are kept. Flow i has p_row_counts[i] rows, taken in order from the row arrays (the rows of
-- flow 1, then of flow 2, ...), pending feedback p_pendings[i] (NULL: none) and the exact
-- values jsonb cannot hold p_exacts[i] (flow_import_legacy's p_exact; NULL: none).
-- Returns a jsonb array with one element per flow, in order: what flow_import_legacy returns,
-- or {external_id, status: "refused", sqlstate, message, detail (the error's JSON DETAIL)}.
-- A flow too big for one call is not for a batch (flow_import_legacy with p_more).
-- Raises FS001 (arrays of inconsistent lengths), FS004 (a tenant outside the caller's
-- bindings, as for one flow).
drop function if exists flowstate.flow_import_legacy_batch(text[], integer[], bigint[], text[], text[], text[], jsonb[], jsonb, jsonb);
create or replace function flowstate.flow_import_legacy_batch(
  p_external_ids text[], p_row_counts integer[],
  p_legacy_ids bigint[], p_method_names text[], p_timestamps text[], p_states text[],
  p_pendings jsonb[], p_source jsonb, p_context jsonb, p_exacts jsonb[] default null
)
returns jsonb
language plpgsql
security definer
set search_path = ''
-- Generic plans: a custom plan would fold the batch's arrays (megabytes) into its constants, and
-- copy them while planning each statement.
set plan_cache_mode = force_generic_plan
as $$
declare
  v_flows integer := coalesce(cardinality(p_external_ids), 0);
  v_rows integer := coalesce(cardinality(p_legacy_ids), 0);
  v_limits jsonb;
  v_checked boolean;
  v_shas text[];
  v_results jsonb[];
  v_stored integer[] := '{}';
  v_flow record;
  v_sqlstate text;
  v_message text;
  v_detail text;
begin
  perform flowstate._context(p_context);
  if not flowstate._tenant_allowed(p_context) then
    raise exception 'legacy flows not found'
      using errcode = 'FS004', detail = jsonb_build_object('external_ids', to_jsonb(p_external_ids))::text;
  end if;
  if cardinality(p_row_counts) is distinct from v_flows or cardinality(p_pendings) is distinct from v_flows
     or (p_exacts is not null and cardinality(p_exacts) is distinct from v_flows)
     or (select coalesce(sum(c), 0) from unnest(p_row_counts) c) is distinct from v_rows::bigint
     or array_position(p_row_counts, null) is not null or 0 >= any (p_row_counts)
     or cardinality(p_method_names) is distinct from v_rows or cardinality(p_timestamps) is distinct from v_rows
     or cardinality(p_states) is distinct from v_rows then
    raise exception 'invalid batch import: inconsistent array lengths'
      using errcode = 'FS001', detail = jsonb_build_object('errors', jsonb_build_array(
        'p_row_counts, p_pendings and p_exacts (when given) need one element per p_external_ids, each count positive, and the row arrays one element per counted row.'))::text;
  end if;

  -- The common case checked once for the whole batch, set-based: every size within its limit
  -- and every row JSON; then each row's sha256 is taken once here, and the rows of the flows
  -- imported are stored by one INSERT after them. Otherwise (rare) each flow checks its own
  -- rows and says which fail, as a single call does.
  v_limits := flowstate._settings();
  v_checked := coalesce(
    (select max(octet_length(e)) from unnest(p_external_ids) e) <= (v_limits ->> 'max_label_bytes')::bigint
    and (select max(octet_length(m)) from unnest(p_method_names) m) <= (v_limits ->> 'max_name_bytes')::bigint
    and (select max(octet_length(t)) from unnest(p_timestamps) t) <= (v_limits ->> 'max_label_bytes')::bigint
    and flowstate._jsonb_bytes(p_source) <= (v_limits ->> 'max_feedback_bytes')::bigint
    and (select coalesce(bool_and(coalesce(octet_length(p ->> 'context_json'), 0) <= (v_limits ->> 'max_feedback_bytes')::bigint
                                  and coalesce(octet_length(p ->> 'state_json'), 0) <= (v_limits ->> 'max_document_bytes')::bigint
                                  and coalesce(octet_length(p ->> 'created_at'), 0) <= (v_limits ->> 'max_label_bytes')::bigint), true)
           from unnest(p_pendings) p),
    false);
  if v_checked then
    -- One pass over the states: their sizes, that each is JSON, their hashes.
    begin
      -- The unnests in a select list stream the rows; in FROM they would be copied into a
      -- tuplestore first (to disk beyond work_mem: a batch holds megabytes of states).
      select coalesce(max(octet_length(u.s)) <= (v_limits ->> 'max_document_bytes')::bigint and count(u.s::json) = v_rows, false),
             array_agg(flowstate._sha256_hex(u.s) order by u.n)
        into v_checked, v_shas
        from (select unnest(p_states) as s, generate_series(1, v_rows) as n) u;
    exception when invalid_text_representation then
      v_checked := false;
    end;
  end if;

  -- The common case: the new, plain flows imported set-based, in a subtransaction, so that
  -- anything it cannot take (a latest state with a \u0000) sends the whole batch down the path below.
  v_results := array_fill(null::jsonb, array[v_flows]);
  if v_checked then
    begin
      v_results := flowstate._import_legacy_new_flows(p_external_ids, p_row_counts, p_legacy_ids, p_method_names,
                                                       p_timestamps, p_states, v_shas, p_pendings, p_exacts, p_source, p_context);
    exception when others then
      null;  -- all rolled back: the path below imports or refuses each flow and says why
    end;
    v_stored := array(select i from unnest(v_results) with ordinality as r(result, i) where r.result is not null);
  end if;

  -- Every other flow by itself. Its rows, gathered in one query (their hashes when checked,
  -- else their texts): PL/pgSQL holds array arguments expanded, and taking a slice of one per
  -- flow flattens the whole batch each time.
  for v_flow in
    with f as (select f.i, f.c, sum(f.c) over (order by f.i) - f.c as before
                 from unnest(p_row_counts) with ordinality as f(c, i)),
         r as (select * from unnest(p_legacy_ids, p_method_names, p_timestamps, case when v_checked then v_shas else p_states end)
                        with ordinality as u(id, m, t, s, j))
    select f.i, f.before + f.c as last, array_agg(r.id order by r.j) as ids, array_agg(r.m order by r.j) as methods,
           array_agg(r.t order by r.j) as timestamps, array_agg(r.s order by r.j) as texts
      from f join r on r.j > f.before and r.j <= f.before + f.c
     where v_results[f.i] is null
     group by f.i, f.before, f.c order by f.i
  loop
    begin
      v_results[v_flow.i] := flowstate._import_legacy(
        p_external_ids[v_flow.i], v_flow.ids, v_flow.methods, v_flow.timestamps,
        case when v_checked then array[p_states[v_flow.last]] else v_flow.texts end,
        p_source, p_context, p_pendings[v_flow.i], false, case when v_checked then v_flow.texts end,
        p_exacts[v_flow.i]);
      if v_checked and v_results[v_flow.i] ->> 'status' = 'migrated' then
        v_stored := v_stored || v_flow.i::integer;
      end if;
    exception when others then
      -- Rolled back to before this flow; the others stand. Reported as the call would raise it.
      get stacked diagnostics v_sqlstate = returned_sqlstate, v_message = message_text, v_detail = pg_exception_detail;
      v_results[v_flow.i] := jsonb_build_object(
        'external_id', p_external_ids[v_flow.i], 'status', 'refused', 'sqlstate', v_sqlstate, 'message', v_message,
        'detail', case when v_sqlstate like 'FS%' then nullif(v_detail, '')::jsonb end);
    end;
  end loop;

  -- The exact rows of the flows imported, in one statement (_import_legacy checked their ids
  -- were free and not erased).
  insert into flowstate.legacy_rows (flow_id, legacy_id, method_name, legacy_timestamp, state_text, state_sha256)
  select (v_results[u.i] ->> 'flow_id')::uuid, u.id, u.m, u.t, u.s, u.sha
    from (select unnest(array(select f.i from unnest(p_row_counts) with ordinality as f(c, i), generate_series(1, f.c)
                                order by f.i)) as i,  -- each row's flow
                 unnest(p_legacy_ids) as id, unnest(p_method_names) as m, unnest(p_timestamps) as t,
                 unnest(p_states) as s, unnest(v_shas) as sha) u  -- streamed, as above
   where u.i = any (v_stored);
  return to_jsonb(v_results);
end;
$$;

comment on function flowstate.flow_import_legacy_batch(text[], integer[], bigint[], text[], text[], text[], jsonb[], jsonb, jsonb, jsonb[]) is
'Import many legacy CrewAI SQLite flows in one call: flowstate.flow_import_legacy for each (rows of flow i: the next p_row_counts[i] elements of the row arrays; p_pendings[i] its pending feedback, p_exacts[i] its exact values as flow_import_legacy''s p_exact), each in its own subtransaction, so a refused flow changes nothing and the others are kept. Returns a jsonb array, one element per flow in order: flow_import_legacy''s result, or {external_id, status: refused, sqlstate, message, detail}. Errors: FS001 inconsistent array lengths; FS004 a tenant outside the caller''s bindings.';
