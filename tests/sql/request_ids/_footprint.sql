-- Included by the request id tests (after ../_helpers.sql): what a write can leave behind.

-- Everything stored about these flows: rows, audit trail, checkpoints, quarantine, pause and
-- remembered request ids.
create function pg_temp.footprint(p_flow_ids uuid[])
returns jsonb language sql stable as $$
  select jsonb_agg(jsonb_build_object(
           'flow', flowstate_tests.row_of(i),
           'audit_rows', flowstate_tests.audit_count(i),
           'checkpoints', (select count(*) from flowstate.checkpoints c where c.flow_id = i),
           'quarantined', (select count(*) from flowstate.quarantine q where q.flow_id = i),
           'pause', (select to_jsonb(p) from flowstate.pending_feedback p where p.flow_id = i),
           'request_ids', (select count(*) from flowstate.request_ids r where r.flow_id = i))
         order by i)
    from unnest(p_flow_ids) i
$$;

-- Run p_sql (one value) twice: {"first", "second": the two results as jsonb, "changed": the
-- footprint of p_flow_ids changed by the first run, "unchanged": ... and not by the second}.
create function pg_temp.twice(p_sql text, p_flow_ids uuid[])
returns jsonb language plpgsql as $$
declare
  v_before jsonb := pg_temp.footprint(p_flow_ids);
  v_first jsonb;
  v_between jsonb;
  v_second jsonb;
begin
  execute format('select to_jsonb((%s))', p_sql) into v_first;
  v_between := pg_temp.footprint(p_flow_ids);
  execute format('select to_jsonb((%s))', p_sql) into v_second;
  return jsonb_build_object('first', v_first, 'second', v_second,
                            'changed', v_between is distinct from v_before,
                            'unchanged', pg_temp.footprint(p_flow_ids) is not distinct from v_between);
end;
$$;
