-- Tenant isolation is in the database: row-level security is enabled and forced on
-- flowstate.flows (so it binds the owning role inside SECURITY DEFINER functions too).
begin;
\ir ../_helpers.sql
select plan(4);

select ok((select relrowsecurity from pg_class where oid = 'flowstate.flows'::regclass), 'row-level security is enabled on flows');
select ok((select relforcerowsecurity from pg_class where oid = 'flowstate.flows'::regclass), 'and forced');
select policies_are('flowstate', 'flows', array['flows_tenant', 'flows_admin'], 'flows has the tenant and admin policies');

-- The owner, with one tenant's context published, sees only that tenant's rows.
select flowstate_tests.make_flow(p_tenant => 1) as mine \gset
select flowstate_tests.make_flow(p_tenant => 2) as theirs \gset
select flowstate._context(flowstate_tests.ctx(1)) is not null as published \gset
set local role flowstate_owner;
select set_eq(format($$ select flow_id from flowstate.flows where flow_id in (%L, %L) $$, :'mine', :'theirs'),
              format($$ values (%L::uuid) $$, :'mine'),
              'as flowstate_owner under tenant 1''s context, only tenant 1''s flow is visible');

select * from finish();
rollback;
