-- Limits live in flowstate.settings, where DBAs change them with plain SQL. Reading that
-- table on every save would cost a query per call, so a trigger compiles its rows into
-- flowstate._settings(), a PL/pgSQL function returning a constant (about a microsecond a
-- call). It is STABLE and PL/pgSQL on purpose: an IMMUTABLE or inlined SQL constant would be
-- folded into cached plans, which then keep the old limits after a change.

-- flowstate._compile_settings
-- (Re)create flowstate._settings() from the rows of flowstate.settings.
create or replace function flowstate._compile_settings()
returns void
language plpgsql
security definer
set search_path = ''
as $$
begin
  execute format(
    'create or replace function flowstate._settings() returns jsonb language plpgsql stable as %L',
    format('begin return %L::jsonb; end;', (select jsonb_object_agg(name, value) from flowstate.settings)));
  comment on function flowstate._settings() is
    'Internal. The rows of flowstate.settings as a constant {name: value}, compiled by a trigger on that table.';
end;
$$;

comment on function flowstate._compile_settings() is
'Internal. Compiles flowstate.settings into the constant function flowstate._settings().';

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
