-- flow_delete of another tenant's flow or of a missing one is FS004, and without a reason, a
-- blank or an overlong one, or without an id, FS001 listing every problem; none of them
-- writes a tombstone or changes anything.
begin;
\ir ../_helpers.sql
\ir ../_lifecycle.sql
select plan(7);

select flowstate_tests.make_flow(p_tenant => 2) as theirs, flowstate_tests.make_flow() as mine \gset
select md5(string_agg(a::text, ',' order by audit_id)) as audit_before from flowstate.audit_log a \gset
select md5(string_agg(f::text, ',' order by flow_id)) as flows_before from flowstate.flows f \gset
select count(*) as erasures_before from flowstate.erasures \gset

set local role flowstate_app;
select is(flowstate_tests.error_of(format($$ select flowstate.flow_delete(%L, 'x', flowstate_tests.ctx(1)) $$, :'theirs')),
          jsonb_build_object('sqlstate', 'FS004', 'detail', jsonb_build_object('flow_id', :'theirs')),
          'another tenant''s flow is FS004');
select is(flowstate_tests.error_of(format($$ select flowstate.flow_delete(%L, 'x', flowstate_tests.ctx(1)) $$, gen_random_uuid())) ->> 'sqlstate',
          'FS004', 'a missing flow too');
select is(flowstate_tests.error_of(format($$ select flowstate.flow_delete(%L, '  ', flowstate_tests.ctx(1)) $$, :'mine')) #> '{detail,errors}',
          '["p_reason is required: say why the flow is erased."]', 'a blank reason is FS001');
select is(flowstate_tests.error_of(format($$ select flowstate.flow_delete(null, repeat('x', 1001), flowstate_tests.ctx(1)) $$)) #> '{detail,errors}',
          '["p_flow_id is required.", "p_reason is 1001 characters; the limit is 1000 (flowstate.settings max_reason_chars)."]',
          'a missing id and an overlong reason, both listed');
select is(flowstate_tests.context_refusals(format($$ select flowstate.flow_delete(%L, 'x', %%s) $$, :'mine')), '{FS001,FS001,FS001}',
          'a malformed or NULL context is FS001 for the application');
reset role;

select is((select md5(string_agg(f::text, ',' order by flow_id)) from flowstate.flows f), :'flows_before', 'no flow changed');
select is(array[(select md5(string_agg(a::text, ',' order by audit_id)) from flowstate.audit_log a), (select count(*) from flowstate.erasures)::text],
          array[:'audit_before', :'erasures_before'], 'no history went and no tombstone was written');

select * from finish();
rollback;
