-- A snapshot that no longer fits today's limits (a DBA lowered max_document_bytes in
-- flowstate.settings) is not restored: flow_recover_failed falls back to the newest
-- checkpoint that does.
begin;
\ir ../_helpers.sql
select plan(2);

select flowstate_tests.make_flow(1) as flow_id \gset
select flowstate.flow_create_checkpoint(:'flow_id', null, 'small', flowstate_tests.ctx()) as small_id \gset
select flowstate.flow_save_state(:'flow_id', flowstate_tests.doc(:'flow_id', p_state_data => jsonb_build_object('blob', repeat('z', 50000))),
                                 1, flowstate_tests.ctx()) is not null as saved \gset
select flowstate.flow_create_checkpoint(:'flow_id', null, 'large', flowstate_tests.ctx()) as large_id \gset
select flowstate.flow_transition_phase(:'flow_id', 'failed', null, flowstate_tests.ctx()) is not null as failed \gset
update flowstate.settings set value = 20000 where name = 'max_document_bytes';

select flowstate.flow_recover_failed(:'flow_id', flowstate_tests.ctx()) as recovered \gset
select is(:'recovered'::jsonb -> 'state_data', '{"step": 0}'::jsonb, 'the older checkpoint within the limits is restored');
select is((select label from flowstate.audit_log where flow_id = :'flow_id' order by audit_id desc limit 1), :'small_id',
          'the recovery names it');

select * from finish();
rollback;
