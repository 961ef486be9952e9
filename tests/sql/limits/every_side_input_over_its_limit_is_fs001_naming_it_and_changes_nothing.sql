-- Every text input beside the document has a limit in flowstate.settings, checked before any
-- work: labels, external ids, phase and flow type names, feedback, legacy rows, batch sizes.
-- Past it, FS001 whose DETAIL names the argument, the setting and the limit, and nothing
-- changes: no flow, audit row, checkpoint, pause or legacy row. (Limits lowered here so the
-- values stay small; bytes, not characters, are counted.)
begin;
\ir ../_helpers.sql
select plan(30);

update flowstate.settings set value = 20 where name = 'max_name_bytes';
update flowstate.settings set value = 40 where name = 'max_label_bytes';
update flowstate.settings set value = 300 where name = 'max_feedback_bytes';
update flowstate.settings set value = 3 where name = 'max_batch_items';
update flowstate.settings set value = 5000 where name = 'max_document_bytes';

select flowstate_tests.make_flow() as flow \gset
select gen_random_uuid() as open \gset
select flowstate.flow_record_step(:'open', 'begin', '{}', 'begin', flowstate_tests.ctx()) is not null as made \gset
select gen_random_uuid() as new \gset
select repeat('n', 21) as name, repeat('é', 11) as wide_name, repeat('l', 41) as label,
       jsonb_build_object('f', repeat('x', 400)) as feedback, repeat('s', 6000) as big_text \gset
create temp table before as
  select (select count(*) from flowstate.flows) as flows,
         (select md5(string_agg(to_jsonb(f)::text, ',' order by f.flow_id)) from flowstate.flows f) as flow_rows,
         (select count(*) from flowstate.audit_log) as audit_rows,
         (select count(*) from flowstate.checkpoints) as checkpoints,
         (select count(*) from flowstate.pending_feedback) as pauses,
         (select count(*) from flowstate.legacy_rows) as legacy_rows;

set local role flowstate_app;
select is(jsonb_build_object('sqlstate', o ->> 'sqlstate', 'argument', o -> 'detail' ->> 'argument',
                             'setting', o -> 'detail' ->> 'setting', 'limit', o -> 'detail' -> 'limit',
                             'sentence names both', (o -> 'detail' -> 'errors' ->> 0) like c.argument || ' is %' || c.setting || ')%'
                                                    or (o -> 'detail' -> 'errors' ->> 0) like c.argument || ' holds %' || c.setting || ')%'),
          jsonb_build_object('sqlstate', 'FS001', 'argument', c.argument, 'setting', c.setting,
                             'limit', case c.setting when 'max_name_bytes' then 20 when 'max_label_bytes' then 40
                                                     when 'max_feedback_bytes' then 300 when 'max_batch_items' then 3 else 5000 end,
                             'sentence names both', true),
          c.description)
  from (values
    ('flow_put_state p_label', format($$ select flowstate.flow_put_state(%L, %L, %L, flowstate_tests.ctx()) $$, :'flow', flowstate_tests.doc(:'flow'), :'label'), 'p_label', 'max_label_bytes'),
    ('flow_put_state p_external_id', format($$ select flowstate.flow_put_state(%L, %L, 'x', flowstate_tests.ctx(), %L) $$, :'flow', flowstate_tests.doc(:'flow'), :'label'), 'p_external_id', 'max_label_bytes'),
    ('flow_save_pending_feedback p_feedback', format($$ select flowstate.flow_save_pending_feedback(%L, %L, %L, 'x', flowstate_tests.ctx()) $$, :'flow', flowstate_tests.doc(:'flow'), :'feedback'), 'p_feedback', 'max_feedback_bytes'),
    ('flow_save_pending_feedback p_label', format($$ select flowstate.flow_save_pending_feedback(%L, %L, '{}', %L, flowstate_tests.ctx()) $$, :'flow', flowstate_tests.doc(:'flow'), :'label'), 'p_label', 'max_label_bytes'),
    ('flow_save_pending_feedback p_external_id', format($$ select flowstate.flow_save_pending_feedback(%L, %L, '{}', 'x', flowstate_tests.ctx(), %L) $$, :'flow', flowstate_tests.doc(:'flow'), :'label'), 'p_external_id', 'max_label_bytes'),
    ('flow_record_step p_phase', format($$ select flowstate.flow_record_step(%L, %L, '{}', 'x', flowstate_tests.ctx()) $$, :'open', :'name'), 'p_phase', 'max_name_bytes'),
    ('flow_record_step p_phase, counted in bytes (11 characters, 22 bytes)', format($$ select flowstate.flow_record_step(%L, %L, '{}', 'x', flowstate_tests.ctx()) $$, :'open', :'wide_name'), 'p_phase', 'max_name_bytes'),
    ('flow_record_step p_flow_type', format($$ select flowstate.flow_record_step(%L, 'a', '{}', 'x', flowstate_tests.ctx(), p_flow_type => %L) $$, :'new', :'name'), 'p_flow_type', 'max_name_bytes'),
    ('flow_record_step p_label', format($$ select flowstate.flow_record_step(%L, 'a', '{}', %L, flowstate_tests.ctx()) $$, :'open', :'label'), 'p_label', 'max_label_bytes'),
    ('flow_record_step p_external_id', format($$ select flowstate.flow_record_step(%L, 'a', '{}', 'x', flowstate_tests.ctx(), p_external_id => %L) $$, :'open', :'label'), 'p_external_id', 'max_label_bytes'),
    ('flow_record_step p_feedback', format($$ select flowstate.flow_record_step(%L, 'a', '{}', 'x', flowstate_tests.ctx(), p_feedback => %L) $$, :'open', :'feedback'), 'p_feedback', 'max_feedback_bytes'),
    ('flow_transition_phase p_new_phase', format($$ select flowstate.flow_transition_phase(%L, %L, null, flowstate_tests.ctx()) $$, :'flow', :'name'), 'p_new_phase', 'max_name_bytes'),
    ('flow_create_checkpoint p_phase', format($$ select flowstate.flow_create_checkpoint(%L, %L, null, flowstate_tests.ctx()) $$, :'flow', :'name'), 'p_phase', 'max_name_bytes'),
    ('flow_create_checkpoint p_label', format($$ select flowstate.flow_create_checkpoint(%L, null, %L, flowstate_tests.ctx()) $$, :'flow', :'label'), 'p_label', 'max_label_bytes'),
    ('flow_history p_operation', format($$ select * from flowstate.flow_history(%L, flowstate_tests.ctx(), p_operation => %L) $$, :'flow', :'name'), 'p_operation', 'max_name_bytes'),
    ('flow_id_for p_external_id', format($$ select flowstate.flow_id_for(%L, flowstate_tests.ctx()) $$, :'label'), 'p_external_id', 'max_label_bytes'),
    ('flow_import_legacy p_external_id', format($$ select flowstate.flow_import_legacy(%L, '{1}', '{a}', '{t}', '{"{}"}', '{"fingerprint": "f"}', flowstate_tests.ctx()) $$, :'label'), 'p_external_id', 'max_label_bytes'),
    ('flow_import_legacy p_method_names', format($$ select flowstate.flow_import_legacy('run-1', '{1,2}', array['a', %L], '{t,t}', '{"{}","{}"}', '{"fingerprint": "f"}', flowstate_tests.ctx()) $$, :'name'), 'An element of p_method_names', 'max_name_bytes'),
    ('flow_import_legacy p_timestamps', format($$ select flowstate.flow_import_legacy('run-1', '{1}', '{a}', array[%L], '{"{}"}', '{"fingerprint": "f"}', flowstate_tests.ctx()) $$, :'label'), 'An element of p_timestamps', 'max_label_bytes'),
    ('flow_import_legacy p_states', format($$ select flowstate.flow_import_legacy('run-1', '{1}', '{a}', '{t}', array[%L], '{"fingerprint": "f"}', flowstate_tests.ctx()) $$, jsonb_build_object('s', :'big_text')), 'An element of p_states', 'max_document_bytes'),
    ('flow_import_legacy p_source', format($$ select flowstate.flow_import_legacy('run-1', '{1}', '{a}', '{t}', '{"{}"}', %L, flowstate_tests.ctx()) $$, jsonb_build_object('fingerprint', 'f', 'path', repeat('p', 400))), 'p_source', 'max_feedback_bytes'),
    ('flow_import_legacy p_pending.context_json', format($$ select flowstate.flow_import_legacy('run-1', '{1}', '{a}', '{t}', '{"{}"}', '{"fingerprint": "f"}', flowstate_tests.ctx(), %L) $$,
                                                         jsonb_build_object('legacy_id', 1, 'context_json', :'feedback'::text, 'state_json', '{}', 'created_at', 't')), 'p_pending.context_json', 'max_feedback_bytes'),
    ('flow_import_legacy p_pending.state_json', format($$ select flowstate.flow_import_legacy('run-1', '{1}', '{a}', '{t}', '{"{}"}', '{"fingerprint": "f"}', flowstate_tests.ctx(), %L) $$,
                                                       jsonb_build_object('legacy_id', 1, 'context_json', '{}', 'state_json', :'big_text', 'created_at', 't')), 'p_pending.state_json', 'max_document_bytes'),
    ('flow_import_legacy p_pending.created_at', format($$ select flowstate.flow_import_legacy('run-1', '{1}', '{a}', '{t}', '{"{}"}', '{"fingerprint": "f"}', flowstate_tests.ctx(), %L) $$,
                                                       jsonb_build_object('legacy_id', 1, 'context_json', '{}', 'state_json', '{}', 'created_at', :'label')), 'p_pending.created_at', 'max_label_bytes'),
    ('flow_import_status p_external_ids', $$ select * from flowstate.flow_import_status('{a,b,c,d}', flowstate_tests.ctx()) $$, 'p_external_ids', 'max_batch_items'),
    ('flow_import_verify p_external_ids', $$ select * from flowstate.flow_import_verify('{a,b,c,d}', flowstate_tests.ctx()) $$, 'p_external_ids', 'max_batch_items'),
    ('flow_save_states p_items', format($$ select flowstate.flow_save_states(%L, flowstate_tests.ctx()) $$,
                                        (select jsonb_agg(jsonb_build_object('flow_id', i, 'state', flowstate_tests.doc(i)))
                                           from (select gen_random_uuid() i from generate_series(1, 4)) s)), 'p_items', 'max_batch_items'),
    ('flow_load_states p_flow_ids', format($$ select * from flowstate.flow_load_states(array[%L, %L, %L, %L]::uuid[], flowstate_tests.ctx()) $$, :'flow', :'flow', :'open', :'open'), 'p_flow_ids', 'max_batch_items'),
    ('flow_checkpoints p_limit', format($$ select flowstate.flow_checkpoints(%L, flowstate_tests.ctx(), p_limit => 4) $$, :'flow'), 'p_limit', 'max_batch_items')
  ) as c(description, call, argument, setting),
  lateral (select flowstate_tests.outcome_of(c.call) as o) r;

reset role;
select is((select to_jsonb(b) from before b),
          jsonb_build_object('flows', (select count(*) from flowstate.flows),
                             'flow_rows', (select md5(string_agg(to_jsonb(f)::text, ',' order by f.flow_id)) from flowstate.flows f),
                             'audit_rows', (select count(*) from flowstate.audit_log),
                             'checkpoints', (select count(*) from flowstate.checkpoints),
                             'pauses', (select count(*) from flowstate.pending_feedback),
                             'legacy_rows', (select count(*) from flowstate.legacy_rows)),
          'nothing changed: every flow row, the audit trail, checkpoints, pauses and legacy rows are as before');

select * from finish();
rollback;
