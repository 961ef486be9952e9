-- A canonical UUID (lower-case, hyphenated) is the flow id as it is, in every tenant and
-- without any context, so CrewAI's own uuid4 ids stay the flow ids.
begin;
\ir ../_helpers.sql
select plan(3);

set local role flowstate_app;
select is(flowstate.flow_id_for('7f27ade4-0d8e-4c8e-9c55-1f2b3c4d5e6f', flowstate_tests.ctx(1)),
          '7f27ade4-0d8e-4c8e-9c55-1f2b3c4d5e6f'::uuid, 'a canonical UUID is used as is');
select is(flowstate.flow_id_for('7f27ade4-0d8e-4c8e-9c55-1f2b3c4d5e6f', flowstate_tests.ctx(2)),
          '7f27ade4-0d8e-4c8e-9c55-1f2b3c4d5e6f'::uuid, 'in any tenant');
select is(flowstate.flow_id_for('7f27ade4-0d8e-4c8e-9c55-1f2b3c4d5e6f', null),
          '7f27ade4-0d8e-4c8e-9c55-1f2b3c4d5e6f'::uuid, 'and without a context');
reset role;

select * from finish();
rollback;
