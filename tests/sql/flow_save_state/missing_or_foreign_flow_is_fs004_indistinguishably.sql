-- A compare-and-set save of a flow that does not exist, or exists for another tenant,
-- is FS004 with the same DETAIL shape: the caller cannot tell the two apart.
begin;
\ir ../_helpers.sql
select plan(7);

select gen_random_uuid() as missing \gset
select flowstate_tests.make_flow(p_tenant => 2) as theirs \gset
set local role flowstate_app;
select flowstate.flow_load_state(:'theirs', flowstate_tests.ctx(2)) as theirs_before \gset

select flowstate_tests.outcome_of(format($$ select flowstate.flow_save_state(%L, flowstate_tests.doc(%L), 1,
                                                                          flowstate_tests.ctx(1)) $$,
                                       :'missing', :'missing')) as e_missing \gset
select flowstate_tests.outcome_of(format($$ select flowstate.flow_save_state(%L, flowstate_tests.doc(%L), 1,
                                                                          flowstate_tests.ctx(1)) $$,
                                       :'theirs', :'theirs')) as e_theirs \gset

select is(:'e_missing'::jsonb ->> 'sqlstate', 'FS004', 'a missing flow is FS004');
select is(:'e_theirs'::jsonb ->> 'sqlstate', 'FS004', 'another tenant''s flow is FS004 too');
select is(:'e_missing'::jsonb -> 'detail', jsonb_build_object('flow_id', :'missing'), 'DETAIL names the missing flow');
select is(:'e_theirs'::jsonb -> 'detail', jsonb_build_object('flow_id', :'theirs'),
          'DETAIL of the foreign flow has the same shape and nothing more');
select is(flowstate.flow_load_state(:'theirs', flowstate_tests.ctx(2)), :'theirs_before'::jsonb,
          'the other tenant''s flow is unchanged');
reset role;
select is(flowstate_tests.audit_count(:'theirs'), 1::bigint, 'no audit row was written');
select is((select count(*) from flowstate.flows where flow_id = :'missing'), 0::bigint, 'the missing flow was not created');

select * from finish();
rollback;
