-- Limits live in flowstate.settings, where DBAs change them with plain SQL. Reading that
-- table on every save would cost a query per call, so a trigger compiles its rows into
-- flowstate._settings(), a PL/pgSQL function returning a constant (about a microsecond a
-- call). It is STABLE and PL/pgSQL on purpose: an IMMUTABLE or inlined SQL constant would be
-- folded into cached plans, which then keep the old limits after a change.

-- flowstate._compile_settings
-- (Re)create flowstate._settings() from the rows of flowstate.settings, and
-- flowstate._nesting_path(), the jsonpath that finds a value nested deeper than
-- max_nesting_depth (NULL without that setting): built from text on every save, the path was
-- parsed on every save (10 us of a 1 KB save); a constant is parsed once per session.
create or replace function flowstate._compile_settings()
returns void
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_settings constant jsonb := (select jsonb_object_agg(name, value) from flowstate.settings);
begin
  execute format(
    'create or replace function flowstate._settings() returns jsonb language plpgsql stable as %L',
    format('begin return %L::jsonb; end;', v_settings));
  comment on function flowstate._settings() is
    'Internal. The rows of flowstate.settings as a constant {name: value}, compiled by a trigger on that table.';
  execute format(
    'create or replace function flowstate._nesting_path() returns jsonpath language plpgsql stable as %L',
    coalesce(format('begin return %L::jsonpath; end;',
                    'strict $.**{' || (v_settings ->> 'max_nesting_depth')::bigint || '} ? (@.type() == "object" || @.type() == "array")'),
             'begin return null; end;'));
  comment on function flowstate._nesting_path() is
    'Internal. A jsonpath matching any value nested deeper than max_nesting_depth (flowstate.settings), compiled by a trigger on that table.';
end;
$$;

comment on function flowstate._compile_settings() is
'Internal. Compiles flowstate.settings into the constant functions flowstate._settings() and flowstate._nesting_path().';

-- flowstate._settings_changed
-- Trigger on flowstate.settings: recompile after every change.
create or replace function flowstate._settings_changed()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform flowstate._compile_settings();
  return null;
end;
$$;

comment on function flowstate._settings_changed() is 'Internal. Trigger: recompiles flowstate._settings() after a change to flowstate.settings.';

create or replace trigger settings_compile
  after insert or update or delete or truncate on flowstate.settings
  for each statement execute function flowstate._settings_changed();

select flowstate._compile_settings();

-- flowstate._size_error
-- Why p_argument (p_size bytes, or items for a count setting) is over its limit, the setting
-- p_setting of flowstate.settings; NULL when it is within it (or has no value). The one
-- wording of every size limit on side inputs: labels, names, feedback, batches.
create or replace function flowstate._size_error(p_argument text, p_size bigint, p_setting text)
returns text
language plpgsql
stable
as $$
declare
  v_limit bigint := (flowstate._settings() ->> p_setting)::bigint;
begin
  if p_size is null or p_size <= v_limit then
    return null;
  elsif p_setting like '%\_bytes' then
    return format('%s is %s bytes long; the limit is %s bytes (flowstate.settings %s).', p_argument, p_size, v_limit, p_setting);
  end if;
  return format('%s holds %s items; the limit is %s (flowstate.settings %s).', p_argument, p_size, v_limit, p_setting);
end;
$$;

comment on function flowstate._size_error(text, bigint, text) is
'Internal. The sentence saying that p_argument (p_size bytes or items) is over the limit p_setting of flowstate.settings, or NULL when it is within it.';

-- flowstate._size_refused
-- flowstate._check_size's refusal (PL/pgSQL, so raising stays out of the inlined common case).
create or replace function flowstate._size_refused(p_argument text, p_size bigint, p_setting text, p_flow_id uuid)
returns boolean
language plpgsql
stable
as $$
declare
  v_error text := flowstate._size_error(p_argument, p_size, p_setting);
begin
  raise exception '%', v_error
    using errcode = 'FS001', detail = jsonb_strip_nulls(jsonb_build_object(
      'flow_id', p_flow_id, 'errors', jsonb_build_array(v_error), 'argument', p_argument, 'setting', p_setting,
      'limit', (flowstate._settings() ->> p_setting)::bigint))::text;
end;
$$;

comment on function flowstate._size_refused(text, bigint, text, uuid) is
'Internal. flowstate._check_size''s refusal: raises FS001 with the sentence of flowstate._size_error.';

-- flowstate._check_size
-- The size check every function makes on its side inputs before any work: true when p_size
-- is within the limit p_setting (or NULL), else FS001 naming the argument and the limit.
-- SQL, so the common case inlines into the caller's expression (about a microsecond).
create or replace function flowstate._check_size(p_argument text, p_size bigint, p_setting text, p_flow_id uuid default null)
returns boolean
language sql
stable
as $$
  select case when p_size is null or p_size <= (flowstate._settings() ->> p_setting)::bigint then true
              else flowstate._size_refused(p_argument, p_size, p_setting, p_flow_id) end
$$;

comment on function flowstate._check_size(text, bigint, text, uuid) is
'Internal. True when p_size (of argument p_argument) is within the limit p_setting of flowstate.settings; FS001 naming the argument and the limit otherwise.';
