-- Tenant bindings. flowstate.role_tenants lists the tenants a role may act for; a role with
-- rows there may name no other tenant in a request context. Every call checks its context,
-- so, as with flowstate.settings, a trigger compiles the table into a function rather than
-- the check reading it: flowstate._tenant_allowed(p_context), an SQL function inlined into
-- flowstate._context. With no bindings at all (the default) it is the constant true, which
-- the planner folds away: the unbound case costs nothing. With bindings, it looks the
-- calling roles up in a constant jsonb ({role: {"client/engagement": true, "client/*": true}},
-- a key lookup each). Replacing the function invalidates the plans that inlined it, in every
-- session, so a change applies to the next call.
--
-- Which roles: the session user (the login) and the role set by SET ROLE, each by name; a
-- context must be within the bindings of each of them that has any. Inside SECURITY DEFINER
-- functions current_user is the owner, and neither of these changes. So a bound login that
-- SETs ROLE to an unbound group (flowstate_app) stays bound, and an unbound session that SETs
-- ROLE to a bound role is held to that role's tenants. Membership is not followed: binding a
-- group binds sessions that SET ROLE to it, not its members' own sessions.

-- flowstate._compile_role_tenants
-- (Re)create flowstate._tenant_allowed(jsonb) from the rows of flowstate.role_tenants.
create or replace function flowstate._compile_role_tenants()
returns void
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_bindings jsonb := (
    select jsonb_object_agg(r.role_name, r.tenants)
      from (select t.role_name,
                   jsonb_object_agg(t.client_account_id::text || '/' || coalesce(t.engagement_id::text, '*'), true) as tenants
              from flowstate.role_tenants t
             group by t.role_name) r);
  v_tenant text := 'array[lower(p_context ->> ''client_account_id'') || ''/'' || lower(p_context ->> ''engagement_id''),'
                   ' lower(p_context ->> ''client_account_id'') || ''/*'']';
begin
  -- ?| with a NULL context (keys NULL, ignored) is false for a bound role: "is the caller
  -- unbound", which flowstate._context_checked asks for the admins' NULL context.
  execute format(
    'create or replace function flowstate._tenant_allowed(p_context jsonb) returns boolean language sql stable as %L',
    case when v_bindings is null then 'select true'
         else format('select coalesce((%1$L::jsonb -> session_user::text) ?| %2$s, true)'
                     ' and coalesce((%1$L::jsonb -> nullif(current_setting(''role''), ''none'')) ?| %2$s, true)',
                     v_bindings, v_tenant) end);
  comment on function flowstate._tenant_allowed(jsonb) is
    'Internal. Whether the calling roles may act for the context''s tenant (flowstate.role_tenants, compiled by a trigger on that table; the constant true while no role is bound).';
end;
$$;

comment on function flowstate._compile_role_tenants() is
'Internal. Compiles flowstate.role_tenants into flowstate._tenant_allowed(jsonb).';

-- flowstate._role_tenants_changed
-- Trigger on flowstate.role_tenants: recompile after every change.
create or replace function flowstate._role_tenants_changed()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform flowstate._compile_role_tenants();
  return null;
end;
$$;

comment on function flowstate._role_tenants_changed() is
'Internal. Trigger: recompiles flowstate._tenant_allowed() after a change to flowstate.role_tenants.';

create or replace trigger role_tenants_compile
  after insert or update or delete or truncate on flowstate.role_tenants
  for each statement execute function flowstate._role_tenants_changed();

select flowstate._compile_role_tenants();

-- flowstate._is_uuid
-- Whether p_text is a UUID in its canonical form (any case): 36 characters, hyphens in the
-- four places LIKE pins, nothing but hex digits and hyphens, and no other hyphen. SQL, so it is
-- inlined; the regular expression '^[0-9a-fA-F]{8}-...{12}$' cost about 7 us a match, since
-- PostgreSQL builds the automaton states of each bounded repetition anew on every match,
-- while a one-state class is built once (1.8 us for this, measured over 5,000 ids).
create or replace function flowstate._is_uuid(p_text text)
returns boolean
language sql
immutable
as $$
  select p_text like '________-____-____-____-____________'
     and p_text !~ '[^0-9a-fA-F-]'
     and length(replace(p_text, '-', '')) = 32
$$;

comment on function flowstate._is_uuid(text) is 'Internal. Whether p_text is a canonical UUID (any case).';

-- flowstate._context_checked
-- flowstate._context for anything but a well-formed context of an allowed tenant: an admin's
-- NULL; a context outside the caller's bindings (flowstate.role_tenants), for which no tenant
-- is published at all, so that row-level security shows nothing (readers return nothing,
-- writers find no flow: FS004, and the audit trigger refuses a creation with FS004 too);
-- else FS001 listing every problem.
create or replace function flowstate._context_checked(p_context jsonb)
returns boolean
language plpgsql
as $$
declare
  v_errors text[] := '{}';
  v_key text;
  v_published text;  -- set_config() results, unused
begin
  if p_context is null or jsonb_typeof(p_context) = 'null' then
    if not flowstate._caller_is_admin() then
      raise exception 'a request context is required'
        using errcode = 'FS001',
              detail = jsonb_build_object('errors', jsonb_build_array(
                'A request context (client_account_id, engagement_id, user_id) is required; only flowstate_admin may act across tenants.'))::text;
    end if;
    if not flowstate._tenant_allowed(null) then
      raise exception 'a request context is required'
        using errcode = 'FS001',
              detail = jsonb_build_object('errors', jsonb_build_array(format(
                'A request context is required: role %s is bound to tenants (flowstate.role_tenants) and may not act across them.',
                flowstate._caller_role())))::text;
    end if;
    v_published := set_config('flowstate.all_tenants', 'on', true) || set_config('flowstate.user_id', '', true);
    return true;
  end if;

  if jsonb_typeof(p_context) <> 'object' then
    v_errors := v_errors || format('The request context must be a JSON object, not %s.', jsonb_typeof(p_context));
  else
    foreach v_key in array array['client_account_id', 'engagement_id', 'user_id'] loop
      if not p_context ? v_key then
        v_errors := v_errors || format('The request context is missing %s.', v_key);
      elsif jsonb_typeof(p_context -> v_key) <> 'string' or not flowstate._is_uuid(p_context ->> v_key) then
        v_errors := v_errors || format('The request context''s %s must be a UUID string.', v_key);
      end if;
    end loop;
  end if;
  if cardinality(v_errors) = 0 and not flowstate._tenant_allowed(p_context) then
    -- Well-formed, but not a tenant this role may act for: like a foreign flow, everywhere.
    v_published := set_config('flowstate.all_tenants', 'off', true)
                || set_config('flowstate.client_account_id', '', true)
                || set_config('flowstate.engagement_id', '', true)
                || set_config('flowstate.user_id', '', true);
    return true;
  end if;
  raise exception 'the request context is invalid'
    using errcode = 'FS001', detail = jsonb_build_object('errors', v_errors)::text;
end;
$$;

comment on function flowstate._context_checked(jsonb) is
'Internal. flowstate._context''s slow path: accepts NULL from admins, else raises FS001 listing every problem with the context.';

-- flowstate._context
-- Check a request context and publish it (transaction-local settings) for row-level
-- security and the audit trigger. NULL is accepted from admins only and means all tenants.
-- When the caller's bindings (flowstate.role_tenants) exclude the tenant, no tenant is
-- published and the call sees no flow at all. Returns true (a value, so callers can use a
-- cheap assignment); raises FS001 (DETAIL lists every problem with the context).
--
-- Every call passes through here, so the common case is one SQL expression, inlined into the
-- caller's plan (a PL/pgSQL call cost 20 us). Each id must be a canonical UUID (any case,
-- flowstate._is_uuid, also inlined); a missing key or a non-object makes the check NULL. (A
-- regular expression per id cost 5 to 20 us more of a 1 KB load's backend CPU in paired runs;
-- translate() of the three ids joined took 5% of a 1 KB save's instructions, and accepted ids
-- that are UUIDs only when joined.) Anything else goes to flowstate._context_checked, which
-- explains what is wrong (or accepts an admin's NULL).
create or replace function flowstate._context(p_context jsonb)
returns boolean
language sql
volatile
as $$
  select case
    when flowstate._is_uuid(p_context ->> 'client_account_id')
         and flowstate._is_uuid(p_context ->> 'engagement_id')
         and flowstate._is_uuid(p_context ->> 'user_id')
         and flowstate._tenant_allowed(p_context)
    then (set_config('flowstate.all_tenants', 'off', true)
          || set_config('flowstate.client_account_id', p_context ->> 'client_account_id', true)
          || set_config('flowstate.engagement_id', p_context ->> 'engagement_id', true)
          || set_config('flowstate.user_id', p_context ->> 'user_id', true)) is not null
    else flowstate._context_checked(p_context) end
$$;

comment on function flowstate._context(jsonb) is
'Internal. Checks a request context {client_account_id, engagement_id, user_id} (all UUIDs) and publishes it for row-level security and auditing; for a tenant outside the caller''s flowstate.role_tenants bindings it publishes none (nothing is visible). NULL is accepted from unbound flowstate_admin members and superusers only. Errors: FS001.';

-- flowstate._caller_role
-- The role a change is attributed to: SET ROLE if any, else the session user.
create or replace function flowstate._caller_role()
returns text
language sql
stable
as $$
  select coalesce(nullif(pg_catalog.current_setting('role'), 'none'), session_user::text)
$$;

comment on function flowstate._caller_role() is 'Internal. The calling role (after SET ROLE, else the session user).';

-- flowstate._caller_is_admin
-- True when the calling role (SET ROLE if any, else the session user; not current_user,
-- which is the owner inside SECURITY DEFINER functions) is a superuser or a flowstate_admin member.
create or replace function flowstate._caller_is_admin()
returns boolean
language plpgsql
stable
as $$
begin
  return (
    select coalesce(r.rolsuper or pg_catalog.pg_has_role(r.oid, 'flowstate_admin', 'MEMBER'), false)
    from pg_catalog.pg_roles r
    where r.rolname = flowstate._caller_role());
end;
$$;

comment on function flowstate._caller_is_admin() is
'Internal. Whether the calling role (after SET ROLE, else the session user) is a superuser or a member of flowstate_admin.';
