-- Ownership and privileges, re-applied after every function change.
-- flowstate_owner (not a superuser) owns everything, so forced row-level security holds
-- inside the SECURITY DEFINER functions; flowstate_app may only EXECUTE the public flow_*
-- functions; internal (_-prefixed) functions are callable by neither role directly.
do $grants$
declare
  v_object record;
begin
  for v_object in
    -- Tables and partitions (identity sequences follow their table), domains, functions.
    select format('table %s', c.oid::regclass) as name
      from pg_catalog.pg_class c
     where c.relnamespace = 'flowstate'::regnamespace and c.relkind in ('r', 'p')
       and pg_catalog.pg_get_userbyid(c.relowner) <> 'flowstate_owner'
    union all
    select format('domain %s', t.oid::regtype)
      from pg_catalog.pg_type t
     where t.typnamespace = 'flowstate'::regnamespace and t.typtype = 'd'
       and pg_catalog.pg_get_userbyid(t.typowner) <> 'flowstate_owner'
    union all
    select format('function %s', p.oid::regprocedure)
      from pg_catalog.pg_proc p
     where p.pronamespace = 'flowstate'::regnamespace
       and pg_catalog.pg_get_userbyid(p.proowner) <> 'flowstate_owner'
  loop
    execute format('alter %s owner to flowstate_owner', v_object.name);
  end loop;
end
$grants$;

-- Retention policies are configuration DBAs edit, like the phase graphs.
grant insert, update, delete on flowstate.retention_policies to flowstate_admin;

alter schema flowstate owner to flowstate_owner;
grant usage on schema flowstate to flowstate_app, flowstate_admin;

revoke all on all functions in schema flowstate from public, flowstate_app, flowstate_admin;
do $grants$
declare
  v_function regprocedure;
begin
  for v_function in
    select p.oid::regprocedure from pg_catalog.pg_proc p
     where p.pronamespace = 'flowstate'::regnamespace and p.proname like 'flow\_%'
  loop
    execute format('grant execute on function %s to flowstate_app, flowstate_admin', v_function);
  end loop;
end
$grants$;

-- DBAs read everything and may edit flows and configuration (edits are audited);
-- nobody but the owner writes the audit trail, and a guard stops even the owner.
revoke all on all tables in schema flowstate from public, flowstate_app;
grant select on all tables in schema flowstate to flowstate_admin;
grant insert, update, delete on flowstate.flows, flowstate.flow_types, flowstate.phase_transitions,
  flowstate.settings, flowstate.role_tenants to flowstate_admin;
