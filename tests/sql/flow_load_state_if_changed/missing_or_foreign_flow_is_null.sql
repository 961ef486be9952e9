-- A missing flow and another tenant's are both NULL, whatever version the caller names
-- (even the other tenant's current one: no "unchanged" gives it away); a bad context is FS001.
begin;
\ir ../_helpers.sql
select plan(4);

select flowstate_tests.make_flow(p_tenant => 2) as theirs \gset
set local role flowstate_app;
select is(flowstate.flow_load_state_if_changed(gen_random_uuid(), null, flowstate_tests.ctx()), null::jsonb, 'a missing flow is NULL');
select is(flowstate.flow_load_state_if_changed(:'theirs', null, flowstate_tests.ctx()), null::jsonb, 'another tenant''s flow is NULL');
select is(flowstate.flow_load_state_if_changed(:'theirs', 1, flowstate_tests.ctx()), null::jsonb,
          'also when asked with its current version');
select is(flowstate_tests.context_refusals(format($$ select flowstate.flow_load_state_if_changed(%L, 1, %%s) $$, :'theirs')),
          array['FS001', 'FS001', 'FS001'], 'a malformed, non-object or (for the app role) NULL context is FS001');
reset role;

select * from finish();
rollback;
