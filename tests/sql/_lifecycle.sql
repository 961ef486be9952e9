-- Helpers of the lifecycle tests (flow_search ... flow_retention_run), included after
-- _helpers.sql: `\ir ../_lifecycle.sql`. Created in the test's transaction, rolled back with it.
set client_min_messages = warning;

-- Make a flow look finished long ago (test setup only, as the superuser): set its updated_at
-- to p_at with triggers off for that one statement, as backdate_audit does for audit rows.
create function flowstate_tests.backdate_flow(p_flow_id uuid, p_at timestamptz)
returns void language plpgsql as $$
begin
  perform set_config('session_replication_role', 'replica', true);
  update flowstate.flows set updated_at = p_at where flow_id = p_flow_id;
  perform set_config('session_replication_role', 'origin', true);
end;
$$;

-- Every table of schema flowstate (partitioned tables with all their partitions) holding
-- rows whose text contains p_needle, and how many: where anything of a flow is left.
create function flowstate_tests.traces(p_needle text)
returns table (table_name text, matching_rows bigint) language plpgsql as $$
declare
  v_table regclass;
begin
  for v_table in select c.oid::regclass from pg_class c
                  where c.relnamespace = 'flowstate'::regnamespace and c.relkind in ('r', 'p') and not c.relispartition
                  order by c.relname loop
    execute format('select count(*) from %s x where strpos(x::text, %L) > 0', v_table, p_needle) into matching_rows;
    if matching_rows > 0 then
      table_name := v_table::text;
      return next;
    end if;
  end loop;
end;
$$;

-- A CrewAI flow with content in every kind of row a flow can have, each carrying p_marker:
-- imported legacy rows, import record and legacy pause; pending feedback; saved steps; a
-- checkpoint; a corrupted document in quarantine (and whatever corruption handling records);
-- audit rows in this month's partition and, moved there, in one of January 2020. Returns its id.
create function flowstate_tests.make_rich_flow(p_marker text, p_tenant int default 1)
returns uuid language plpgsql as $$
declare
  v_ctx jsonb := flowstate_tests.ctx(p_tenant);
  v_id uuid := flowstate.flow_id_for('rich ' || p_marker, v_ctx);
  v_state text := jsonb_build_object('secret', p_marker)::text;
begin
  if to_regclass('flowstate.audit_log_y2020m01') is null then
    create table flowstate.audit_log_y2020m01 partition of flowstate.audit_log for values from ('2020-01-01') to ('2020-02-01');
    alter table flowstate.audit_log_y2020m01 owner to flowstate_owner;
  end if;
  perform flowstate.flow_import_legacy('rich ' || p_marker, '{1,2}', array['start', 'ask_' || p_marker], '{t1,t2}',
            array[v_state, v_state], jsonb_build_object('fingerprint', 'source ' || p_marker), v_ctx,
            p_pending => jsonb_build_object('legacy_id', 3, 'context_json', jsonb_build_object('question', p_marker)::text,
                                            'state_json', v_state, 'created_at', '2026-01-01T00:00:00Z'));
  perform flowstate.flow_record_step(v_id, 'step_' || p_marker, jsonb_build_object('secret', p_marker, 'n', 1),
                                     'method_' || p_marker, v_ctx);
  perform flowstate.flow_create_checkpoint(v_id, null, 'checkpoint ' || p_marker, v_ctx);
  perform flowstate.flow_record_step(v_id, 'later', jsonb_build_object('secret', p_marker, 'n', 2), 'later', v_ctx);
  perform flowstate_tests.backdate_audit(v_id, 1, '2020-01-15');
  -- A DBA's edit that breaks the document (its phase listed as completed), then quarantine.
  update flowstate.flows set phases_completed = phases_completed || array['later'], state_data = jsonb_build_object('broken', p_marker)
   where flow_id = v_id;
  perform flowstate.flow_handle_corrupted(v_id, v_ctx);
  return v_id;
end;
$$;

grant execute on all functions in schema flowstate_tests to public;
reset client_min_messages;
