-- max_document_bytes limits the document's full jsonb size, also when the document is
-- handed over compressed (read from a table column, as a DBA's batch
-- `select flowstate.flow_save_state(...) from staging` does): 200 KB of repetitive text
-- compresses to a few KB, and must still be refused under a 100 KB limit, by the create,
-- the ordinary save of an existing flow and a put alike (and flow_validate_state says so).
begin;
\ir ../_helpers.sql
select plan(7);

select flowstate_tests.make_flow() as flow_id \gset
select gen_random_uuid() as new_id \gset
create temporary table staging (flow_id uuid, doc jsonb) on commit drop;
grant select on staging to flowstate_app;
insert into staging
select id, flowstate_tests.doc(id, p_state_data => jsonb_build_object('blob', repeat('x', 200000)))
  from unnest(array[:'flow_id', :'new_id']::uuid[]) id;
update flowstate.settings set value = 100000 where name = 'max_document_bytes';

select cmp_ok((select pg_column_size(doc) from staging where flow_id = :'flow_id'), '<', 100000,
              'the staged document is stored compressed, below the limit');
select cmp_ok((select octet_length(doc::text) from staging where flow_id = :'flow_id'), '>', 200000,
              'while the document itself is over 200 KB');

set local role flowstate_app;
select ok((select flowstate.flow_validate_state(doc)::text ~ 'max_document_bytes' from staging where flow_id = :'flow_id'),
          'flow_validate_state reports the compressed document as too large');
select is(flowstate_tests.outcome_of(format($$ select flowstate.flow_save_state(s.flow_id, s.doc, null, flowstate_tests.ctx())
                                                 from staging s where s.flow_id = %L $$, :'new_id')) ->> 'sqlstate',
          'FS001', 'creating a flow from the compressed document is FS001');
select is(flowstate_tests.outcome_of(format($$ select flowstate.flow_save_state(s.flow_id, s.doc, 1, flowstate_tests.ctx())
                                                 from staging s where s.flow_id = %L $$, :'flow_id')) ->> 'sqlstate',
          'FS001', 'saving it over an existing flow is FS001');
select is(flowstate_tests.outcome_of(format($$ select flowstate.flow_put_state(s.flow_id, s.doc, 'batch', flowstate_tests.ctx())
                                                 from staging s where s.flow_id = %L $$, :'flow_id')) ->> 'sqlstate',
          'FS001', 'putting it over an existing flow is FS001');
select is((flowstate.flow_load_state(:'flow_id', flowstate_tests.ctx()) ->> 'flow_version')::int, 1,
          'the existing flow is unchanged');

select * from finish();
rollback;
