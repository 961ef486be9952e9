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

-- ---- Added with the pgTAP suite (tests/sql/<function>/<behaviour>.sql) ----

-- A discovery flow moved along the graph (by flow_transition_phase) to p_phase; 'failed'
-- fails it from data_import. Returns its id.
create function flowstate_tests.make_flow_at(p_phase text, p_tenant int default 1)
returns uuid language plpgsql as $$
declare
  v_id uuid := flowstate_tests.make_flow(1, p_tenant);
  v_path constant text[] := array['data_import', 'field_mapping', 'data_cleansing', 'asset_inventory',
                                  'dependency_analysis', 'tech_debt_analysis', 'completed'];
  v_phase text;
begin
  if p_phase = 'failed' then
    perform flowstate.flow_transition_phase(v_id, 'failed', null, flowstate_tests.ctx(p_tenant));
    return v_id;
  end if;
  foreach v_phase in array v_path[2:array_position(v_path, p_phase)] loop
    perform flowstate.flow_transition_phase(v_id, v_phase, null, flowstate_tests.ctx(p_tenant));
  end loop;
  return v_id;
end;
$$;

-- The phases before p_phase on the discovery path (what phases_completed holds there).
create function flowstate_tests.discovery_before(p_phase text)
returns text[] language sql immutable as $$
  select (array['data_import', 'field_mapping', 'data_cleansing', 'asset_inventory',
                'dependency_analysis', 'tech_debt_analysis', 'completed'])
         [1:array_position(array['data_import', 'field_mapping', 'data_cleansing', 'asset_inventory',
                                 'dependency_analysis', 'tech_debt_analysis', 'completed'], p_phase) - 1]
$$;

-- The flows row of a flow as jsonb, every column (read as the superuser: bypasses RLS).
create function flowstate_tests.row_of(p_flow_id uuid)
returns jsonb language sql stable as $$
  select to_jsonb(f) from flowstate.flows f where f.flow_id = p_flow_id
$$;

-- A value nested exactly p_depth levels deep: {} is 1 level, {"d": {}} 2, and so on
-- (arrays instead of objects with p_array). A document whose state_data is nested(n) is n + 1 deep.
create function flowstate_tests.nested(p_depth int, p_array boolean default false)
returns jsonb language plpgsql immutable as $$
declare
  v jsonb := case when p_array then '[]'::jsonb else '{}'::jsonb end;
begin
  for i in 2 .. p_depth loop
    v := case when p_array then jsonb_build_array(v) else jsonb_build_object('d', v) end;
  end loop;
  return v;
end;
$$;

-- A random JSON value for property tests (seed with setseed() for a repeatable run).
-- Keys come from a small pool with awkward names, so documents share and clash on keys.
create function flowstate_tests.random_value(p_depth int default 3)
returns jsonb language plpgsql volatile as $$
declare
  v_keys constant text[] := array['a', 'b', 'c', 'state', 'k"q', '{x,y}', 'ü', '', ' ', '0', '-1',
                                  'back\slash', 'null', '🚀'];
  v jsonb;
begin
  case floor(random() * case when p_depth > 0 then 8 else 5 end)::int
    when 0 then return to_jsonb(floor(random() * 1000)::int - 500);
    when 1 then return to_jsonb(md5(random()::text));
    when 2 then return to_jsonb(random() < 0.5);
    when 3 then return 'null'::jsonb;
    when 4 then return jsonb_build_array(random(), 'x', '{}'::jsonb);
    else
      v := '{}';
      for i in 1 .. floor(random() * 7)::int loop
        v := v || jsonb_build_object(v_keys[1 + floor(random() * cardinality(v_keys))::int],
                                     flowstate_tests.random_value(p_depth - 1));
      end loop;
      return v;
  end case;
end;
$$;

-- A random object (the root of a state_data).
create function flowstate_tests.random_object(p_depth int default 3)
returns jsonb language plpgsql volatile as $$
declare
  v jsonb;
begin
  loop
    v := flowstate_tests.random_value(p_depth);
    if jsonb_typeof(v) = 'object' then
      return v;
    end if;
  end loop;
end;
$$;

-- p_doc with random edits: keys deleted, replaced (possibly by another type), edited in
-- place (nested objects), or added; most keys stay as they were.
create function flowstate_tests.random_edit(p_doc jsonb, p_depth int default 3)
returns jsonb language plpgsql volatile as $$
declare
  v_key text;
  v_value jsonb;
  v_roll float8;
  v jsonb := '{}';
begin
  if jsonb_typeof(p_doc) <> 'object' then
    return flowstate_tests.random_value(p_depth);
  end if;
  for v_key, v_value in select key, value from jsonb_each(p_doc) loop
    v_roll := random();
    if v_roll < 0.15 then
      continue;                                                       -- deleted
    elsif v_roll < 0.3 then
      v := v || jsonb_build_object(v_key, flowstate_tests.random_value(p_depth));  -- replaced
    elsif v_roll < 0.6 and jsonb_typeof(v_value) = 'object' then
      v := v || jsonb_build_object(v_key, flowstate_tests.random_edit(v_value, p_depth - 1));  -- edited
    else
      v := v || jsonb_build_object(v_key, v_value);                   -- kept
    end if;
  end loop;
  for i in 1 .. floor(random() * 3)::int loop                         -- added
    v := v || jsonb_build_object('new_' || floor(random() * 5)::int, flowstate_tests.random_value(p_depth));
  end loop;
  return v;
end;
$$;

-- Like error_of, but never NULL: a statement that succeeds gives {"sqlstate": "00000"}, so
-- `\gset` always sets its variable and a wrongly accepted call reads "have: 00000".
create function flowstate_tests.outcome_of(p_sql text)
returns jsonb language sql as $$
  select coalesce(flowstate_tests.error_of(p_sql), '{"sqlstate": "00000", "detail": null}'::jsonb)
$$;

-- A flow's audited content at p_version rebuilt from its audit trail alone: the newest
-- snapshot at or before it, then every change record after it, in order. Also returns how
-- many change records that took (the rebuild cost).
create function flowstate_tests.rebuilt(p_flow_id uuid, p_version bigint, out content jsonb, out changes_applied int)
language plpgsql stable as $$
declare
  v_from bigint;
  v_changes jsonb;
begin
  select a.new_version, a.snapshot into v_from, content
    from flowstate.audit_log a
   where a.flow_id = p_flow_id and a.snapshot is not null and a.new_version <= p_version
   order by a.new_version desc
   limit 1;
  changes_applied := 0;
  for v_changes in select a.changes from flowstate.audit_log a
                    where a.flow_id = p_flow_id and a.new_version > v_from and a.new_version <= p_version
                    order by a.new_version loop
    content := flowstate._jsonb_patch(content, v_changes);
    changes_applied := changes_applied + 1;
  end loop;
end;
$$;

-- Like make_flow, with a given id: a discovery flow at data_import, version 1.
create function flowstate_tests.make_flow_with_id(p_flow_id uuid, p_tenant int default 1)
returns uuid language plpgsql as $$
begin
  perform flowstate.flow_save_state(p_flow_id, flowstate_tests.doc(p_flow_id), null, flowstate_tests.ctx(p_tenant));
  return p_flow_id;
end;
$$;

grant execute on all functions in schema flowstate_tests to public;
reset client_min_messages;

-- ---- Added with the audit and recovery pgTAP files ----

-- A large nested state_data, about p_sections * p_items * 170 bytes (20 x 30: ~100 KB):
-- sections of items (objects, arrays, numbers, strings), a config object and awkward keys,
-- so that saves changing a few keys of it take the audit trail's change-record path.
create function flowstate_tests.large_state(p_sections int default 20, p_items int default 30)
returns jsonb language sql immutable as $$
  select jsonb_build_object(
    'sections', (select jsonb_object_agg(format('s%s', lpad(s::text, 3, '0')), jsonb_build_object(
        'title', md5('title' || s),
        'summary', jsonb_build_object('count', p_items, 'ok', s % 2 = 0, 'notes', jsonb_build_array('n1', s, null)),
        'items', (select jsonb_object_agg(format('i%s', lpad(i::text, 4, '0')), jsonb_build_object(
                     'name', md5(s || '/' || i), 'score', (s * 31 + i * 17) % 1000,
                     'tags', jsonb_build_array('t' || i % 7, 't' || i % 3),
                     'meta', jsonb_build_object('src', 'import', 'weight', round(((s * i) % 97)::numeric / 7, 4))))
                    from generate_series(1, p_items) i)))
      from generate_series(1, p_sections) s),
    'config', jsonb_build_object('mode', 'full', 'limits', jsonb_build_object('rows', 1000, 'depth', 5)),
    'odd keys', jsonb_build_object('k"q', 1, '{x,y}', 2, '0', 3, '', 4, '🚀', 5, 'back\slash', 6, ' ', 7))
$$;

-- Fabricate old history (test setup only, as the superuser): move a flow's audit rows up to
-- p_up_to_version to p_at, with triggers off for that one statement (session_replication_role),
-- so they land in the partition of that time. Returns how many rows moved.
create function flowstate_tests.backdate_audit(p_flow_id uuid, p_up_to_version bigint, p_at timestamptz)
returns bigint language plpgsql as $$
declare
  v_moved bigint;
begin
  perform set_config('session_replication_role', 'replica', true);
  update flowstate.audit_log set logged_at = p_at where flow_id = p_flow_id and new_version <= p_up_to_version;
  get diagnostics v_moved = row_count;
  perform set_config('session_replication_role', 'origin', true);
  return v_moved;
end;
$$;

-- The lower and upper bounds of every range partition of flowstate.audit_log.
create function flowstate_tests.audit_partitions()
returns table (name text, lower_bound timestamptz, upper_bound timestamptz, owner text)
language sql stable as $$
  select c.relname::text,
         (regexp_match(pg_get_expr(c.relpartbound, c.oid), 'FROM \(''([^'']+)''\)'))[1]::timestamptz,
         (regexp_match(pg_get_expr(c.relpartbound, c.oid), 'TO \(''([^'']+)''\)'))[1]::timestamptz,
         pg_get_userbyid(c.relowner)::text
    from pg_inherits i join pg_class c on c.oid = i.inhrelid
   where i.inhparent = 'flowstate.audit_log'::regclass and pg_get_expr(c.relpartbound, c.oid) <> 'DEFAULT'
$$;

-- ---- Added with the folders of the batch, cache, feedback and import functions ----

-- The SQLSTATEs of p_call, a statement with one %s where the context goes, called with a
-- malformed context, with one that is not an object, and with NULL (which only admins may
-- pass): {FS001,FS001,FS001} when all three are refused, as run by flowstate_app.
create function flowstate_tests.context_refusals(p_call text)
returns text[] language sql as $$
  select array_agg(flowstate_tests.outcome_of(format(p_call, c.context)) ->> 'sqlstate' order by c.n)
    from unnest(array[quote_literal('{"client_account_id": "x"}'), quote_literal('[]'), 'null'])
         with ordinality as c(context, n)
$$;

-- Fabricate an older checkpoint (test setup only, as the superuser): set its created_at to
-- p_at, with the append-only trigger off for that one statement, as backdate_audit does.
create function flowstate_tests.backdate_checkpoint(p_checkpoint_id uuid, p_at timestamptz)
returns void language plpgsql as $$
begin
  perform set_config('session_replication_role', 'replica', true);
  update flowstate.checkpoints set created_at = p_at where checkpoint_id = p_checkpoint_id;
  perform set_config('session_replication_role', 'origin', true);
end;
$$;

-- ---- Added with the overview's scale pgTAP files ----

-- What this transaction has read of a table (with its partitions) so far, from
-- pg_stat_xact_user_tables: its sequential scans of a table or partition that holds rows (as
-- the last ANALYZE saw it: an empty partition costs nothing to scan) and the rows it fetched
-- through an index. Take it before a call and after.
create function flowstate_tests.reads_of(p_table regclass, out seq_scans bigint, out index_rows bigint)
language sql volatile as $$
  select coalesce(sum(s.seq_scan) filter (where c.reltuples > 0), 0)::bigint, coalesce(sum(s.idx_tup_fetch), 0)::bigint
    from (select p_table as relid union select relid from pg_partition_tree(p_table)) t
    join pg_class c on c.oid = t.relid
    left join pg_stat_xact_user_tables s on s.relid = t.relid
$$;

-- The two TAP lines of a call that should read a table only through an index, for its
-- caller's rows: no scan of it (or of a partition holding rows) and at most p_max_rows rows
-- fetched through an index since reads_of gave p_seq_scans and p_index_rows (before the call).
create function flowstate_tests.reads_by_index_only(p_table regclass, p_seq_scans bigint, p_index_rows bigint,
                                                     p_max_rows bigint, p_rows text)
returns setof text language plpgsql as $$
declare
  v_now record := flowstate_tests.reads_of(p_table);
begin
  return next is(v_now.seq_scans - p_seq_scans, 0::bigint, format('no scan of every tenant''s %s', p_rows));
  return next cmp_ok(v_now.index_rows - p_index_rows, '<=', p_max_rows, format('only the tenant''s %s are read', p_rows));
end;
$$;
