-- flowstate._context_checked
-- flowstate._context for anything but a well-formed context: an admin's NULL, or FS001
-- listing every problem.
create or replace function flowstate._context_checked(p_context jsonb)
returns boolean
language plpgsql
as $$
declare
  v_uuid constant text := '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';
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
    v_published := set_config('flowstate.all_tenants', 'on', true) || set_config('flowstate.user_id', '', true);
    return true;
  end if;

  if jsonb_typeof(p_context) <> 'object' then
    v_errors := v_errors || format('The request context must be a JSON object, not %s.', jsonb_typeof(p_context));
  else
    foreach v_key in array array['client_account_id', 'engagement_id', 'user_id'] loop
      if not p_context ? v_key then
        v_errors := v_errors || format('The request context is missing %s.', v_key);
      elsif jsonb_typeof(p_context -> v_key) <> 'string' or (p_context ->> v_key) !~ v_uuid then
        v_errors := v_errors || format('The request context''s %s must be a UUID string.', v_key);
      end if;
    end loop;
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
-- Returns true (a value, so callers can use a cheap assignment); raises FS001 (DETAIL lists
-- every problem with the context).
--
-- Every call passes through here, so the common case is one SQL expression, inlined into the
-- caller's plan: a PL/pgSQL call and three regular expressions cost 20 us, this about 3.
-- translate() maps every hex digit to 0, so only a canonical UUID (any case) becomes the
-- template; a missing key or a non-object makes the concatenation NULL. Anything else goes
-- to flowstate._context_checked, which explains what is wrong (or accepts an admin's NULL).
create or replace function flowstate._context(p_context jsonb)
returns boolean
language sql
volatile
as $$
  select case
    when translate((p_context ->> 'client_account_id') || (p_context ->> 'engagement_id') || (p_context ->> 'user_id'),
                   '123456789abcdefABCDEF', '000000000000000000000')
         = repeat('00000000-0000-0000-0000-000000000000', 3)
    then (set_config('flowstate.all_tenants', 'off', true)
          || set_config('flowstate.client_account_id', p_context ->> 'client_account_id', true)
          || set_config('flowstate.engagement_id', p_context ->> 'engagement_id', true)
          || set_config('flowstate.user_id', p_context ->> 'user_id', true)) is not null
    else flowstate._context_checked(p_context) end
$$;

comment on function flowstate._context(jsonb) is
'Internal. Checks a request context {client_account_id, engagement_id, user_id} (all UUIDs) and publishes it for row-level security and auditing. NULL is accepted from flowstate_admin members and superusers only. Errors: FS001.';

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
