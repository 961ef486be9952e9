-- Erasing a tenant is for admins only (FS001 for the application), needs a client account
-- and a reason and a batch size in bounds (FS001, every problem listed); refused calls
-- change nothing.
begin;
\ir ../_helpers.sql
\ir ../_lifecycle.sql
select plan(4);

select flowstate_tests.make_flow() as flow_id, (select count(*) from flowstate.erasures) as erasures_before \gset

set local role flowstate_app;
select is(flowstate_tests.error_of(format($$ select flowstate.flow_erase_tenant(%L, null, 'x', 10) $$, flowstate_tests.ctx() ->> 'client_account_id')) ->> 'sqlstate',
          'FS001', 'the application may not erase a tenant');
reset role;
set local role flowstate_admin;
select is(flowstate_tests.error_of($$ select flowstate.flow_erase_tenant(null, null, '', 0) $$) #> '{detail,errors}',
          '["p_client_account_id is required (p_engagement_id NULL means every engagement).", "p_reason is required: say why the flow is erased.", "p_limit must be between 1 and 100000, not 0."]',
          'every problem with the arguments is listed');
reset role;

select is((select count(*) from flowstate.flows where flow_id = :'flow_id'), 1::bigint, 'the flow is still there');
select is((select count(*) from flowstate.erasures), :erasures_before::bigint, 'and no tombstone was written');

select * from finish();
rollback;
