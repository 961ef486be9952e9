-- flow_load_states checks the request context like every call: a malformed one, one that is
-- not an object, and NULL from the application role are FS001.
begin;
\ir ../_helpers.sql
select plan(2);

select flowstate_tests.make_flow() as flow_id \gset
set local role flowstate_app;
select is(flowstate_tests.context_refusals(format($$ select * from flowstate.flow_load_states(array[%L]::uuid[], %%s) $$, :'flow_id')),
          array['FS001', 'FS001', 'FS001'], 'each bad context is FS001');
select is(jsonb_array_length(flowstate_tests.error_of(format(
            $$ select * from flowstate.flow_load_states(array[%L]::uuid[], '{}') $$, :'flow_id')) -> 'detail' -> 'errors'),
          3, 'DETAIL lists every problem of the context');
reset role;

select * from finish();
rollback;
