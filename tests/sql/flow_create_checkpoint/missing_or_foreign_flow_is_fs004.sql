-- A checkpoint of a missing flow or of another tenant's flow is FS004 (indistinguishable),
-- with the flow id in DETAIL; nothing is written.
begin;
\ir ../_helpers.sql
select plan(6);

select flowstate_tests.make_flow(p_versions => 2) as flow_id \gset
select flowstate.flow_load_state(:'flow_id', flowstate_tests.ctx()) as before \gset
select gen_random_uuid() as missing_id \gset

select is(flowstate_tests.error_of(format($$ select flowstate.flow_create_checkpoint(%L, null, null, flowstate_tests.ctx()) $$, :'missing_id')),
          jsonb_build_object('sqlstate', 'FS004', 'detail', jsonb_build_object('flow_id', :'missing_id')),
          'a missing flow is FS004 with its id');
select is(flowstate_tests.error_of(format($$ select flowstate.flow_create_checkpoint(%L, null, null, flowstate_tests.ctx(2)) $$, :'flow_id')),
          jsonb_build_object('sqlstate', 'FS004', 'detail', jsonb_build_object('flow_id', :'flow_id')),
          'another tenant''s flow is FS004 alike');
select is(flowstate_tests.error_of(format($$ select flowstate.flow_create_checkpoint(%L, 'no_such_phase', null, flowstate_tests.ctx(2)) $$, :'flow_id')) ->> 'sqlstate',
          'FS004', 'even with a bad phase, another tenant learns nothing but FS004');
select is((select count(*) from flowstate.checkpoints where flow_id in (:'flow_id', :'missing_id')), 0::bigint, 'no checkpoint was written');
select is(flowstate_tests.audit_count(:'flow_id'), 2::bigint, 'no audit row was written');
select is(flowstate.flow_load_state(:'flow_id', flowstate_tests.ctx()), :'before'::jsonb, 'the flow is unchanged');

select * from finish();
rollback;
