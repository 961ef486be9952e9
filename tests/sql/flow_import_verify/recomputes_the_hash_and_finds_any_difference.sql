-- flow_import_verify recomputes every imported flow's content hash from the stored text (not
-- from the ledger) and reports any difference: rows changed, the current state changed while
-- the version stayed, the flow deleted, never imported. A flow that moved on still verifies.
begin;
\ir ../_helpers.sql
select plan(6);

select flowstate.flow_id_for('v', flowstate_tests.ctx()) as flow_id \gset
set local role flowstate_app;
select flowstate.flow_import_legacy('v', '{1,2}', '{a,b}', '{t1,t2}', '{"{\"n\": NaN}","{\"n\": 2}"}',
                                    '{"fingerprint": "f"}', flowstate_tests.ctx()) as result \gset
select is((select row(row_count, content_hash, problems)::text from flowstate.flow_import_verify('{v}', flowstate_tests.ctx())),
          row(2::bigint, :'result'::jsonb ->> 'content_hash', '{}'::text[])::text, 'an intact flow: its content hash, no problems');
reset role;

-- Tampering below the functions (as the owner would) is found.
update flowstate.legacy_rows set state_text = '{"n": 3}' where flow_id = :'flow_id' and legacy_id = 2;
set local role flowstate_app;
select matches((select problems[1] from flowstate.flow_import_verify('{v}', flowstate_tests.ctx())),
               '^The stored legacy rows \(2\) differ from what was imported', 'a changed row text is found');
reset role;
update flowstate.legacy_rows set state_text = '{"n": 2}' where flow_id = :'flow_id' and legacy_id = 2;

alter table flowstate.flows disable trigger flows_audit;  -- a change that even keeps the version
update flowstate.flows set state_data = '{"n": 5}' where flow_id = :'flow_id';
alter table flowstate.flows enable trigger flows_audit;
set local role flowstate_app;
select is((select problems from flowstate.flow_import_verify('{v}', flowstate_tests.ctx())),
          array['The flow''s document differs from what its latest legacy row maps to.'], 'a changed current state is found');
reset role;

delete from flowstate.flows where flow_id = :'flow_id';
set local role flowstate_app;
select is((select problems from flowstate.flow_import_verify('{v}', flowstate_tests.ctx())),
          array['The flow is missing (deleted after the import?).'], 'a deleted flow is found');
select is((select row(row_count, content_hash, problems)::text from flowstate.flow_import_verify('{never}', flowstate_tests.ctx())),
          row(0::bigint, null::text, array['Not imported.'])::text, 'a flow never imported is reported as such');
reset role;

select flowstate.flow_id_for('w', flowstate_tests.ctx()) as w_id \gset
set local role flowstate_app;
select flowstate.flow_import_legacy('w', '{1}', '{a}', '{t}', '{"{}"}', '{"fingerprint": "f"}', flowstate_tests.ctx()) is not null as ok \gset
select flowstate.flow_record_step(:'w_id', 'b', '{"later": true}', 'b', flowstate_tests.ctx()) is not null as ok \gset
select is((select problems from flowstate.flow_import_verify('{w}', flowstate_tests.ctx())), '{}'::text[],
          'a flow that moved on after its import still verifies (its legacy rows are what is checked)');
reset role;

select * from finish();
rollback;
