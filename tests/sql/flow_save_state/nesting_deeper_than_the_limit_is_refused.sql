-- Nesting deeper than flowstate.settings max_nesting_depth (default 64; the document object
-- itself is level 1) is FS001; exactly the limit is accepted, for objects and arrays alike,
-- and a DBA's lower limit applies at once.
begin;
\ir ../_helpers.sql
select plan(9);

select flowstate_tests.make_flow() as flow_id \gset
set local role flowstate_app;

-- Default limit: state_data nested 63 deep makes a document 64 deep.
select is((flowstate.flow_save_state(:'flow_id', flowstate_tests.doc(:'flow_id', p_state_data => flowstate_tests.nested(63)),
                                     1, flowstate_tests.ctx()) ->> 'flow_version')::int,
          2, 'a document 64 levels deep is accepted');
select is((flowstate.flow_save_state(:'flow_id', flowstate_tests.doc(:'flow_id',
                                       p_state_data => jsonb_build_object('a', flowstate_tests.nested(62, p_array => true))),
                                     2, flowstate_tests.ctx()) ->> 'flow_version')::int,
          3, 'so is one 64 levels deep through arrays');
select flowstate.flow_load_state(:'flow_id', flowstate_tests.ctx()) as before \gset

select flowstate_tests.outcome_of(format($$ select flowstate.flow_save_state(%L, %L, 3, flowstate_tests.ctx()) $$, :'flow_id',
                                       flowstate_tests.doc(:'flow_id', p_state_data => flowstate_tests.nested(64)))) as e \gset
select is(:'e'::jsonb ->> 'sqlstate', 'FS001', 'a document 65 levels deep is FS001');
select ok(:'e'::jsonb -> 'detail' ->> 'errors' ~ 'max_nesting_depth', 'the error names the setting');
select is(flowstate_tests.outcome_of(format($$ select flowstate.flow_save_state(%L, %L, 3, flowstate_tests.ctx()) $$, :'flow_id',
                                          flowstate_tests.doc(:'flow_id',
                                            p_state_data => jsonb_build_object('a', flowstate_tests.nested(63, p_array => true)))))
            ->> 'sqlstate',
          'FS001', 'one 65 levels deep through arrays is FS001');
select is(flowstate_tests.outcome_of(format($$ select flowstate.flow_save_state(%L, %L, 3, flowstate_tests.ctx()) $$, :'flow_id',
                                          flowstate_tests.doc(:'flow_id', p_state_data => flowstate_tests.nested(5000))))
            ->> 'sqlstate',
          'FS001', 'an absurdly nested document (5001 levels) is FS001');
select is(flowstate.flow_load_state(:'flow_id', flowstate_tests.ctx()), :'before'::jsonb, 'the stored flow is unchanged');

-- A DBA lowers the limit to 5.
reset role;
update flowstate.settings set value = 5 where name = 'max_nesting_depth';
set local role flowstate_app;
select is((flowstate.flow_save_state(:'flow_id', flowstate_tests.doc(:'flow_id', p_state_data => flowstate_tests.nested(4)),
                                     3, flowstate_tests.ctx()) ->> 'flow_version')::int,
          4, 'with the limit at 5, a document 5 levels deep is accepted');
select is(flowstate_tests.outcome_of(format($$ select flowstate.flow_save_state(%L, %L, 4, flowstate_tests.ctx()) $$, :'flow_id',
                                          flowstate_tests.doc(:'flow_id', p_state_data => flowstate_tests.nested(5))))
            ->> 'sqlstate',
          'FS001', 'and one 6 levels deep is FS001');

select * from finish();
rollback;
