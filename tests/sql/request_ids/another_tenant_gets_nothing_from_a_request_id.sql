-- A remembered result is the tenant's own: another tenant naming the same flow id and
-- request id gets what it would get without one (FS004 for a save, FS005 for a create),
-- never the first tenant's document, and changes nothing.
begin;
\ir ../_helpers.sql
\ir _footprint.sql
select plan(3);

select gen_random_uuid() as id \gset
select gen_random_uuid() as created \gset
select gen_random_uuid() as saved \gset
select flowstate.flow_save_state(:'id', flowstate_tests.doc(:'id'), null, flowstate_tests.ctx(1), :'created') is not null as ok \gset
select flowstate.flow_save_state(:'id', flowstate_tests.doc(:'id', p_state_data => '{"secret": 1}'), 1, flowstate_tests.ctx(1),
                                 :'saved') is not null as ok \gset
select pg_temp.footprint(array[:'id'::uuid]) as before \gset

set local role flowstate_app;
select throws_ok(format($$ select flowstate.flow_save_state(%L, flowstate_tests.doc(%L), null, flowstate_tests.ctx(2), %L) $$,
                        :'id', :'id', :'created'), 'FS005', null, 'another tenant''s retried create is FS005');
select throws_ok(format($$ select flowstate.flow_save_state(%L, flowstate_tests.doc(%L), 1, flowstate_tests.ctx(2), %L) $$,
                        :'id', :'id', :'saved'), 'FS004', null, 'another tenant''s retried save is FS004');
reset role;
select is(pg_temp.footprint(array[:'id'::uuid]), :'before'::jsonb, 'nothing changed');

select * from finish();
rollback;
