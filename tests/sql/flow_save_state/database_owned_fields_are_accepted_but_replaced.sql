-- flow_version, created_at, updated_at and checkpoints belong to the database: a document
-- may carry them (a loaded document sent back as is), but their values are replaced, so a
-- caller can set neither version 42 nor a fake timestamp nor a checkpoint.
begin;
\ir ../_helpers.sql
select plan(10);

select gen_random_uuid() as flow_id \gset
select jsonb_build_object('flow_version', 42, 'created_at', '2001-02-03T04:05:06Z', 'updated_at', '2001-02-03T04:05:06Z',
                          'checkpoints', jsonb_build_array(jsonb_build_object('id', gen_random_uuid(), 'phase', 'data_import',
                                                                              'created_at', '2001-02-03T04:05:06Z')))
       as forged \gset
set local role flowstate_app;

select flowstate.flow_save_state(:'flow_id', flowstate_tests.doc(:'flow_id') || :'forged'::jsonb, null,
                                 flowstate_tests.ctx()) as created \gset
select is((:'created'::jsonb ->> 'flow_version')::int, 1, 'a create carrying flow_version 42 is stored at version 1');
select is((:'created'::jsonb ->> 'created_at')::timestamptz, now(), 'created_at is the database''s');
select is((:'created'::jsonb ->> 'updated_at')::timestamptz, now(), 'updated_at is the database''s');
select is(:'created'::jsonb -> 'checkpoints', '[]'::jsonb, 'the forged checkpoint is not stored');

-- A loaded document sent back whole, with a new state_data and the forged values.
select flowstate.flow_load_state(:'flow_id', flowstate_tests.ctx()) as loaded \gset
select flowstate.flow_save_state(:'flow_id',
                                 :'loaded'::jsonb || :'forged'::jsonb || '{"state_data": {"step": 1}}', 1,
                                 flowstate_tests.ctx()) as saved \gset
select is((:'saved'::jsonb ->> 'flow_version')::int, 2, 'a save carrying flow_version 42 makes version 2');
select is(:'saved'::jsonb ->> 'created_at', :'loaded'::jsonb ->> 'created_at', 'created_at keeps its stored value');
select is((:'saved'::jsonb ->> 'updated_at')::timestamptz, now(), 'updated_at is the time of the save');
select is(:'saved'::jsonb -> 'checkpoints', '[]'::jsonb, 'checkpoints are not taken from the document');
select is(flowstate.flow_save_state(:'flow_id', flowstate.flow_load_state(:'flow_id', flowstate_tests.ctx()), 2,
                                    flowstate_tests.ctx()) ->> 'flow_version', '3',
          'a loaded document saved back unchanged is accepted');
select is(flowstate.flow_load_state(:'flow_id', flowstate_tests.ctx()) -> 'state_data', '{"step": 1}'::jsonb,
          'state_data is the one sent');

select * from finish();
rollback;
