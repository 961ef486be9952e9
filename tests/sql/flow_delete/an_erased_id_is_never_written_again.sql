-- A deleted flow stays deleted: a late write under its id (a save that creates, a put, a
-- CrewAI step, a paused step, an import, a fork into it, a DBA's INSERT) is FS008 and
-- writes nothing; a save of a version or a transition finds no flow (FS004); loading it
-- gives NULL; deleting it again is FS008 (FS004 for another tenant, to whom it never existed).
begin;
\ir ../_helpers.sql
\ir ../_lifecycle.sql
select plan(13);

select flowstate.flow_id_for('crew-late', flowstate_tests.ctx()) as flow_id, flowstate_tests.make_flow() as other \gset
select flowstate_tests.make_flow_with_id(:'flow_id') is not null as made \gset
select flowstate.flow_delete(:'flow_id', 'done', flowstate_tests.ctx()) ->> 'erased_at' as erased_at \gset
select count(*) as erasures from flowstate.erasures \gset

set local role flowstate_app;
select is(flowstate_tests.error_of(format($$ select flowstate.flow_save_state(%L, flowstate_tests.doc(%L), null, flowstate_tests.ctx()) $$,
                                          :'flow_id', :'flow_id')),
          jsonb_build_object('sqlstate', 'FS008', 'detail', jsonb_build_object('flow_id', :'flow_id', 'erased_at', :'erased_at')),
          'a save that would create it is FS008, saying when it was erased');
select is(flowstate_tests.error_of(format($$ select flowstate.flow_put_state(%L, flowstate_tests.doc(%L), 'late', flowstate_tests.ctx()) $$,
                                          :'flow_id', :'flow_id')) ->> 'sqlstate', 'FS008', 'a put');
select is(flowstate_tests.error_of(format($$ select flowstate.flow_record_step(%L, 'late_step', '{}', 'late_step', flowstate_tests.ctx()) $$,
                                          :'flow_id')) ->> 'sqlstate', 'FS008', 'a late CrewAI step');
select is(flowstate_tests.error_of(format($$ select flowstate.flow_record_step(%L, 'ask', '{}', 'ask', flowstate_tests.ctx(), p_feedback => '{}') $$,
                                          :'flow_id')) ->> 'sqlstate', 'FS008', 'a step pausing for feedback');
select is(flowstate_tests.error_of($$ select flowstate.flow_import_legacy('crew-late', '{1}', '{m}', '{t}', '{"{}"}', '{"fingerprint": "f"}',
                                                                         flowstate_tests.ctx()) $$) ->> 'sqlstate',
          'FS008', 'an import of the same legacy flow');
select is(flowstate_tests.error_of(format($$ select flowstate.flow_fork(%L, 1, %L, flowstate_tests.ctx()) $$, :'other', :'flow_id')) ->> 'sqlstate',
          'FS008', 'a fork into its id');
select is(flowstate_tests.error_of(format($$ select flowstate.flow_save_state(%L, flowstate_tests.doc(%L), 1, flowstate_tests.ctx()) $$,
                                          :'flow_id', :'flow_id')) ->> 'sqlstate', 'FS004', 'a save of a version finds no flow');
select is(flowstate_tests.error_of(format($$ select flowstate.flow_transition_phase(%L, 'field_mapping', null, flowstate_tests.ctx()) $$,
                                          :'flow_id')) ->> 'sqlstate', 'FS004', 'nor does a transition');
select is(flowstate.flow_load_state(:'flow_id', flowstate_tests.ctx()), null, 'it loads as NULL');
select is(flowstate_tests.error_of(format($$ select flowstate.flow_delete(%L, 'again', flowstate_tests.ctx()) $$, :'flow_id')) ->> 'sqlstate',
          'FS008', 'deleting it again is FS008');
select is(flowstate_tests.error_of(format($$ select flowstate.flow_delete(%L, 'again', flowstate_tests.ctx(2)) $$, :'flow_id')) ->> 'sqlstate',
          'FS004', 'for another tenant it never existed');
reset role;

set local role flowstate_admin;
select is(flowstate_tests.error_of(format($$ insert into flowstate.flows (flow_id, flow_type, client_account_id, engagement_id, user_id,
                                                flow_version, current_phase, phases_completed, status, state_data)
                                              values (%L, 'discovery', gen_random_uuid(), gen_random_uuid(), gen_random_uuid(), 1,
                                                      'data_import', '{}', 'running', '{}') $$, :'flow_id')) ->> 'sqlstate',
          'FS008', 'a DBA''s INSERT under its id too');
reset role;

select is(array[(select count(*) from flowstate.flows where flow_id = :'flow_id'), (select count(*) from flowstate.audit_log where flow_id = :'flow_id'),
                (select count(*) from flowstate.legacy_rows where flow_id = :'flow_id'), (select count(*) from flowstate.erasures)],
          array[0, 0, 0, :erasures::bigint], 'nothing was written');

select * from finish();
rollback;
