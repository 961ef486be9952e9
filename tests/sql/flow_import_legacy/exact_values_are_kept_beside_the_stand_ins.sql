-- p_exact (the values jsonb cannot hold, as pgflowstate.codec records them) is kept under
-- "__pgflowstate_exact__" in state_data and in the pending feedback, beside the stand-ins
-- _legacy_json gives; verify still finds the flow as its latest row maps; a record that is
-- not [[path, text], ...] is FS001 and writes nothing.
begin;
\ir ../_helpers.sql
select plan(6);

select flowstate.flow_import_legacy('run-1', '{1}', '{step}', '{t}', '{"{\"score\": NaN, \"n\": 1}"}',
  '{"fingerprint": "f"}', flowstate_tests.ctx(),
  p_pending => '{"legacy_id": 1, "context_json": "{\"method_output\": {\"q\": NaN}}", "state_json": "{}", "created_at": "t"}',
  p_exact => '{"state": [[["score"], "NaN"]], "feedback": [[["method_output", "q"], "NaN"]]}') ->> 'status' as status \gset
select is(:'status'::text, 'migrated', 'the flow is imported');
select is((select state_data::jsonb from flowstate.flows where external_id = 'run-1'),
          '{"score": "NaN", "n": 1, "__pgflowstate_exact__": [[["score"], "NaN"]]}'::jsonb,
          'state_data holds the stand-in and, beside it, the exact value');
select is((select feedback::jsonb from flowstate.pending_feedback p join flowstate.flows f using (flow_id) where f.external_id = 'run-1'),
          '{"method_output": {"q": "NaN"}, "__pgflowstate_exact__": [[["method_output", "q"], "NaN"]]}'::jsonb,
          'so does the pending feedback');
select is((select problems from flowstate.flow_import_verify(array['run-1'], flowstate_tests.ctx())), '{}'::text[],
          'verify finds the flow as its latest row maps, the exact values aside');

select (select count(*) from flowstate.legacy_rows) + (select count(*) from flowstate.migration_ledger) as before \gset
select is(array(select flowstate_tests.error_of(format($$ select flowstate.flow_import_legacy('run-2', '{1}', '{a}', '{t}', '{"{}"}',
                  '{"fingerprint": "f"}', flowstate_tests.ctx(), p_exact => %L) $$, bad)) ->> 'sqlstate'
                from unnest(array['[]', '{"other": []}', '{"state": [["x", "NaN"]]}', '{"state": [[["x"], 1]]}',
                                  '{"state": [[["x"], "1", 2]]}']) bad),
          array['FS001', 'FS001', 'FS001', 'FS001', 'FS001'], 'a malformed p_exact is FS001');
select is((select count(*) from flowstate.legacy_rows) + (select count(*) from flowstate.migration_ledger), :'before'::bigint,
          'and nothing was written');

select * from finish();
rollback;
