-- A flow's document carries the newest checkpoints_in_document checkpoints (default 10),
-- oldest first, however many were taken: loads stay the same size (3,000 checkpoints once made
-- each load 22 ms). Every checkpoint stays in flowstate.checkpoints and in flow_checkpoints, and a
-- flow with many long-labelled checkpoints still saves back exactly as it was loaded.
begin;
\ir ../_helpers.sql
select plan(6);

select flowstate_tests.make_flow() as flow_id \gset
create temp table taken (n int, id uuid);
insert into taken
select n, flowstate.flow_create_checkpoint(:'flow_id', null, repeat(n::text, 1024 / length(n::text)), flowstate_tests.ctx())
  from generate_series(1, 14) n;
select flowstate.flow_load_state(:'flow_id', flowstate_tests.ctx()) as loaded \gset

select is(jsonb_array_length(:'loaded'::jsonb -> 'checkpoints'), 10, 'the document lists 10 of 14 checkpoints');
select is(array(select (c ->> 'id')::uuid from jsonb_array_elements(:'loaded'::jsonb -> 'checkpoints') c),
          array(select id from taken where n > 4 order by n), 'the newest ten, oldest first');
select is((select count(*) from flowstate.checkpoints where flow_id = :'flow_id'), 14::bigint, 'all 14 are kept');
select is(jsonb_array_length(flowstate.flow_checkpoints(:'flow_id', flowstate_tests.ctx(), p_limit => 100) -> 'checkpoints'), 14,
          'and flow_checkpoints lists all 14');
select is(flowstate.flow_save_state(:'flow_id', :'loaded'::jsonb, 1, flowstate_tests.ctx()) ->> 'flow_version', '2',
          'the loaded document saves back as it is');

update flowstate.settings set value = 3 where name = 'checkpoints_in_document';
select flowstate.flow_create_checkpoint(:'flow_id', null, 'after', flowstate_tests.ctx()) as last \gset
select is(array(select (c ->> 'label') from jsonb_array_elements(flowstate.flow_load_state(:'flow_id', flowstate_tests.ctx()) -> 'checkpoints') c),
          array[repeat('13', 512), repeat('14', 512), 'after'], 'a lowered bound applies from the next checkpoint');

select * from finish();
rollback;
