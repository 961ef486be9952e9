-- Only flowstate_admin members and superusers may pass a NULL context (acting across
-- tenants); from flowstate_app it is FS001. Without a context, creating a flow needs the
-- tenant ids in metadata.
begin;
\ir ../_helpers.sql
select plan(10);

select gen_random_uuid() as flow_id \gset
select flowstate_tests.make_flow(p_tenant => 3) as theirs \gset

set local role flowstate_app;
select throws_ok(format($$ select flowstate.flow_save_state(%L, %L, null, null) $$, :'flow_id', flowstate_tests.doc(:'flow_id')),
                 'FS001', null, 'the app role cannot create with a NULL context');
select throws_ok(format($$ select flowstate.flow_save_state(%L, %L, null, 'null') $$, :'flow_id', flowstate_tests.doc(:'flow_id')),
                 'FS001', null, 'nor with a JSON null context');
select throws_ok(format($$ select flowstate.flow_save_state(%L, %L, 1, null) $$, :'theirs', flowstate_tests.doc(:'theirs')),
                 'FS001', null, 'nor update any tenant''s flow with a NULL context');
select throws_ok(format($$ select flowstate.flow_load_state(%L, null) $$, :'theirs'),
                 'FS001', null, 'nor load with a NULL context');
reset role;
select is(flowstate_tests.audit_count(:'theirs'), 1::bigint, 'the refused calls wrote nothing');

-- The superuser running this test is an admin.
select throws_ok(format($$ select flowstate.flow_save_state(%L, %L, null, null) $$, :'flow_id', flowstate_tests.doc(:'flow_id')),
                 'FS001', null, 'an admin creating without a context must name the tenant in metadata');
select is(flowstate.flow_save_state(:'flow_id', flowstate_tests.doc(:'flow_id') || jsonb_build_object('metadata', flowstate_tests.ctx(4, 9)),
                                    null, null) -> 'metadata',
          flowstate_tests.ctx(4, 9), 'with the tenant ids in metadata an admin creates the flow for that tenant');
select is(flowstate.flow_load_state(:'flow_id', flowstate_tests.ctx(4)) ->> 'flow_version', '1',
          'the tenant sees its new flow');

set local role flowstate_admin;
select is(flowstate.flow_save_state(:'theirs', flowstate_tests.doc(:'theirs', p_state_data => '{"fixed": true}'), 1, null)
            ->> 'flow_version', '2', 'a flowstate_admin member may update any tenant''s flow with a NULL context');
select is(flowstate.flow_load_state(:'theirs', null) -> 'state_data', '{"fixed": true}'::jsonb,
          'and load it with a NULL context');

select * from finish();
rollback;
