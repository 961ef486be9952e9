-- An erased flow id gets no legacy rows, whoever stores them: an import staged in parts (which
-- creates no flow until its last part), an import in a batch, and a direct INSERT into
-- flowstate.legacy_rows are FS008 and store nothing.
begin;
\ir ../_helpers.sql
\ir ../_lifecycle.sql
select plan(4);

select flowstate.flow_id_for('crew-gone', flowstate_tests.ctx()) as flow_id \gset
select flowstate_tests.make_flow_with_id(:'flow_id') is not null as made \gset
select flowstate.flow_delete(:'flow_id', 'done', flowstate_tests.ctx()) is not null as deleted \gset

set local role flowstate_app;
select is(flowstate_tests.error_of($$ select flowstate.flow_import_legacy('crew-gone', '{1}', '{m}', '{t}', '{"{}"}', '{"fingerprint": "f"}',
                                                                         flowstate_tests.ctx(), p_more => true) $$) ->> 'sqlstate',
          'FS008', 'a staged part of an import');
select is((flowstate.flow_import_legacy_batch(array['crew-gone'], '{1}', '{1}', '{m}', '{t}', array['{}'], array[null]::jsonb[],
                                              '{"fingerprint": "f"}', flowstate_tests.ctx()) -> 0) ->> 'sqlstate',
          'FS008', 'an import in a batch');
reset role;
select is(flowstate_tests.error_of(format($$ insert into flowstate.legacy_rows (flow_id, legacy_id, method_name, legacy_timestamp, state_text, state_sha256)
                                              values (%L, 1, 'm', 't', '{}', 'x') $$, :'flow_id')) ->> 'sqlstate',
          'FS008', 'a direct INSERT');
select is((select count(*) from flowstate.legacy_rows where flow_id = :'flow_id'), 0::bigint, 'no legacy row was stored');

select * from finish();
rollback;
