-- flow_validate_all reads every tenant's flows, so the application role is refused (FS001).
begin;
\ir ../_helpers.sql
select plan(2);

select flowstate_tests.make_flow() as flow_id \gset
update flowstate.flows set current_phase = 'legacy_phase' where flow_id = :'flow_id';

set local role flowstate_app;
select throws_ok($$ select * from flowstate.flow_validate_all() $$, 'FS001', null, 'flowstate_app gets FS001');
reset role;
select is((select count(*) from flowstate.flow_validate_all() where flow_id = :'flow_id'), 1::bigint,
          'the same call from a superuser lists the invalid flow');

select * from finish();
rollback;
