-- Nothing is written unless both parts are: feedback that is not a JSON object is FS001; a
-- state flow_put_state would refuse is refused the same way (FS001 invalid, FS003 illegal
-- phase change, FS005 another tenant's id, a malformed context FS001); the flow, its pause
-- and the audit trail are unchanged.
begin;
\ir ../_helpers.sql
select plan(8);

select flowstate_tests.make_flow() as flow_id \gset
select flowstate_tests.make_flow(p_tenant => 2) as theirs \gset
set local role flowstate_app;
select flowstate.flow_save_pending_feedback(:'flow_id', flowstate_tests.doc(:'flow_id'), '{"first": true}', 'review',
                                            flowstate_tests.ctx()) is not null as paused \gset
select flowstate.flow_load_pending_feedback(:'flow_id', flowstate_tests.ctx()) as before \gset
select flowstate.flow_load_state(:'theirs', flowstate_tests.ctx(2)) as theirs_before \gset

select is(array(select flowstate_tests.outcome_of(format($$ select flowstate.flow_save_pending_feedback(%L, %L, %s, 'review', flowstate_tests.ctx()) $$,
                                                         :'flow_id', flowstate_tests.doc(:'flow_id', p_state_data => '{"x": 1}'), f)) ->> 'sqlstate'
                 from unnest(array[quote_literal('[1]'), quote_literal('"text"'), 'null']) f),
          array['FS001', 'FS001', 'FS001'], 'feedback that is an array, a string or NULL is FS001');
select is(flowstate_tests.error_of(format($$ select flowstate.flow_save_pending_feedback(%L, %L, '[1]', 'review', flowstate_tests.ctx()) $$,
                                          :'flow_id', flowstate_tests.doc(:'flow_id'))) -> 'detail',
          jsonb_build_object('flow_id', :'flow_id', 'errors', jsonb_build_array('The feedback context must be a JSON object.')),
          'DETAIL says why');
select throws_ok(format($$ select flowstate.flow_save_pending_feedback(%L, %L::jsonb - 'state_data', '{"x": 1}', 'review', flowstate_tests.ctx()) $$,
                        :'flow_id', flowstate_tests.doc(:'flow_id')),
                 'FS001', null, 'an invalid state is FS001');
select throws_ok(format($$ select flowstate.flow_save_pending_feedback(%L, %L, '{"x": 1}', 'review', flowstate_tests.ctx()) $$,
                        :'flow_id', flowstate_tests.doc(:'flow_id', 'asset_inventory', '{data_import}')),
                 'FS003', null, 'an illegal phase change is FS003');
select throws_ok(format($$ select flowstate.flow_save_pending_feedback(%L, %L, '{"x": 1}', 'review', flowstate_tests.ctx()) $$,
                        :'theirs', flowstate_tests.doc(:'theirs')),
                 'FS005', null, 'another tenant''s flow id is FS005, as for flow_put_state');
select is(flowstate_tests.context_refusals(format($$ select flowstate.flow_save_pending_feedback(%L, %L, '{"x": 1}', 'review', %%s) $$,
                                                  :'flow_id', flowstate_tests.doc(:'flow_id'))),
          array['FS001', 'FS001', 'FS001'], 'a malformed, non-object or (for the app role) NULL context is FS001');
select is(flowstate.flow_load_pending_feedback(:'flow_id', flowstate_tests.ctx()), :'before'::jsonb,
          'the flow and its pause are unchanged');
reset role;
select is((select count(*) from flowstate.audit_log where flow_id in (:'flow_id', :'theirs')) ||
          ' ' || (select count(*) from flowstate.pending_feedback where flow_id = :'theirs'),
          '3 0', 'no audit row and no pause was written');

select * from finish();
rollback;
