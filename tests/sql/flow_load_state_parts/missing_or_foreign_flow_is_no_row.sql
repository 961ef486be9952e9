-- As flow_load_state answers NULL, flow_load_state_parts answers no row for a missing flow and
-- for another tenant's, and refuses a malformed context with FS001; an admin's NULL context
-- sees every tenant's flows.
begin;
\ir ../_helpers.sql
select plan(5);

select flowstate_tests.make_flow(p_tenant => 2) as theirs \gset
set local role flowstate_app;

select is_empty(format($$ select * from flowstate.flow_load_state_parts(%L, flowstate_tests.ctx(1)) $$, gen_random_uuid()),
                'a missing flow gives no row');
select is_empty(format($$ select * from flowstate.flow_load_state_parts(%L, flowstate_tests.ctx(1)) $$, :'theirs'),
                'another tenant''s flow gives no row');
select is((select document ->> 'flow_id' from flowstate.flow_load_state_parts(:'theirs', flowstate_tests.ctx(2, 5))), :'theirs',
          'any user of the owning tenant loads it');
select is(flowstate_tests.context_refusals(format($$ select * from flowstate.flow_load_state_parts(%L, %%s) $$, :'theirs')),
          '{FS001,FS001,FS001}', 'a malformed context, one that is not an object and NULL are FS001');
reset role;
select is((select document ->> 'flow_id' from flowstate.flow_load_state_parts(:'theirs', null)), :'theirs',
          'an admin''s NULL context loads any tenant''s flow');

select * from finish();
rollback;
