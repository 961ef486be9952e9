-- flow_checkpoints lists every checkpoint of a flow, newest first, p_limit at a time; "next"
-- is the p_after of the following page and null after the last. The pages together are every
-- checkpoint exactly once, each entry as the document lists it.
begin;
\ir ../_helpers.sql
select plan(8);

select flowstate_tests.make_flow() as flow_id \gset
create temp table taken (n int, id uuid);
insert into taken
select n, flowstate.flow_create_checkpoint(:'flow_id', null, 'cp ' || n, flowstate_tests.ctx()) from generate_series(1, 7) n;
grant select on taken to public;
set local role flowstate_app;

select flowstate.flow_checkpoints(:'flow_id', flowstate_tests.ctx(), p_limit => 3) as p1 \gset
select flowstate.flow_checkpoints(:'flow_id', flowstate_tests.ctx(), (:'p1'::jsonb ->> 'next')::uuid, 3) as p2 \gset
select flowstate.flow_checkpoints(:'flow_id', flowstate_tests.ctx(), (:'p2'::jsonb ->> 'next')::uuid, 3) as p3 \gset

select is(array(select c ->> 'label' from jsonb_array_elements(:'p1'::jsonb -> 'checkpoints') c), '{cp 7,cp 6,cp 5}', 'page 1: the three newest');
select is(:'p1'::jsonb ->> 'next', (select id::text from taken where n = 5), 'its next is the last id on it');
select is(array(select c ->> 'label' from jsonb_array_elements(:'p2'::jsonb -> 'checkpoints') c), '{cp 4,cp 3,cp 2}', 'page 2: the next three');
select is(array(select c ->> 'label' from jsonb_array_elements(:'p3'::jsonb -> 'checkpoints') c), '{cp 1}', 'page 3: the oldest');
select is(:'p3'::jsonb -> 'next', 'null'::jsonb, 'and no next page');
select is(flowstate.flow_checkpoints(:'flow_id', flowstate_tests.ctx(), p_limit => 7) -> 'next', 'null'::jsonb,
          'a page holding the last checkpoint exactly has no next page');
select is(flowstate.flow_checkpoints(:'flow_id', flowstate_tests.ctx()) -> 'checkpoints' -> 0,
          flowstate.flow_load_state(:'flow_id', flowstate_tests.ctx()) -> 'checkpoints' -> -1,
          'entries are as the document lists them (default page: from the newest)');
reset role;
select flowstate_tests.make_flow() as bare \gset
select is(flowstate.flow_checkpoints(:'bare', flowstate_tests.ctx()), '{"checkpoints": [], "next": null}'::jsonb,
          'a flow without checkpoints has an empty page');

select * from finish();
rollback;
