-- flow_history of another tenant's flow or of a missing flow is empty, like flow_load_state's
-- NULL; a malformed context is FS001; a NULL context is for admins (and superusers) only.
begin;
\ir ../_helpers.sql
select plan(6);

select flowstate_tests.make_flow(p_versions => 3) as flow_id \gset

set local role flowstate_app;
select is((select count(*) from flowstate.flow_history(:'flow_id', flowstate_tests.ctx())), 3::bigint,
          'the owning tenant sees three rows (control)');
select is_empty(format($$ select from flowstate.flow_history(%L, flowstate_tests.ctx(2)) $$, :'flow_id'),
                'another tenant sees none');
select is_empty($$ select from flowstate.flow_history(gen_random_uuid(), flowstate_tests.ctx()) $$,
                'a missing flow has none');
select throws_ok(format($$ select from flowstate.flow_history(%L, '{"client_account_id": 1}') $$, :'flow_id'), 'FS001', null,
                 'a malformed context is FS001');
select throws_ok(format($$ select from flowstate.flow_history(%L, null) $$, :'flow_id'), 'FS001', null,
                 'a NULL context is FS001 for the application role');
reset role;
set local role flowstate_admin;
select is((select count(*) from flowstate.flow_history(:'flow_id', null)), 3::bigint,
          'an admin with a NULL context sees every tenant''s flow');
reset role;

select * from finish();
rollback;
