-- Test helpers, created inside each test's transaction (\ir from the test file) and rolled
-- back with it, so tests/sql runs under pg_prove against any database with the schema applied.
set client_min_messages = warning;
create extension if not exists pgtap;
create schema flowstate_tests;
grant usage on schema flowstate_tests to public;

-- A request context for tenant number p_tenant (the same UUIDs every time).
create function flowstate_tests.ctx(p_tenant int default 1, p_user int default 1)
returns jsonb language sql immutable as $$
  select jsonb_build_object(
    'client_account_id', format('00000000-0000-4000-a000-%s', lpad(p_tenant::text, 12, '0')),
    'engagement_id', format('00000000-0000-4000-b000-%s', lpad(p_tenant::text, 12, '0')),
    'user_id', format('00000000-0000-4000-c000-%s', lpad(p_user::text, 12, '0')))
$$;

-- A valid discovery document.
create function flowstate_tests.doc(
  p_flow_id uuid, p_phase text default 'data_import', p_completed text[] default '{}',
  p_state_data jsonb default '{"step": 0}'
)
returns jsonb language sql immutable as $$
  select jsonb_build_object('flow_id', p_flow_id, 'current_phase', p_phase,
                            'phases_completed', to_jsonb(p_completed), 'state_data', p_state_data)
$$;

-- A discovery flow saved p_versions times (state_data.step = version - 1); returns its id.
create function flowstate_tests.make_flow(p_versions int default 1, p_tenant int default 1)
returns uuid language plpgsql as $$
declare
  v_id uuid := gen_random_uuid();
begin
  perform flowstate.flow_save_state(v_id, flowstate_tests.doc(v_id), null, flowstate_tests.ctx(p_tenant));
  for i in 2 .. p_versions loop
    perform flowstate.flow_save_state(v_id, flowstate_tests.doc(v_id, p_state_data => jsonb_build_object('step', i - 1)),
                                      i - 1, flowstate_tests.ctx(p_tenant));
  end loop;
  return v_id;
end;
$$;

-- Rows of the audit trail of one flow.
create function flowstate_tests.audit_count(p_flow_id uuid)
returns bigint language sql stable as $$
  select count(*) from flowstate.audit_log where flow_id = p_flow_id
$$;

-- The SQLSTATE and JSON DETAIL a statement raises (NULL when it succeeds).
create function flowstate_tests.error_of(p_sql text)
returns jsonb language plpgsql as $$
declare
  v_state text;
  v_detail text;
begin
  execute p_sql;
  return null;
exception when others then
  get stacked diagnostics v_state = returned_sqlstate, v_detail = pg_exception_detail;
  return jsonb_build_object('sqlstate', v_state, 'detail', nullif(v_detail, '')::jsonb);
end;
$$;

grant execute on all functions in schema flowstate_tests to public;
reset client_min_messages;
