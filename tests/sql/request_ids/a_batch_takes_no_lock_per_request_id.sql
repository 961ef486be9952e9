-- Request ids cost a batch no lock table entries: a retry waits for a running first call
-- through the unique key (on that call's transaction), so a batch of many items with request
-- ids holds as many locks as without them, whatever its size (the lock table is shared and
-- small: max_locks_per_transaction per connection).
begin;
\ir ../_helpers.sql
select plan(2);

create function pg_temp.batch(p_size int, p_request_ids boolean) returns jsonb language sql as $$
  select flowstate.flow_save_states(jsonb_agg(jsonb_build_object(
           'flow_id', f, 'state', flowstate_tests.doc(f),
           'request_id', case when p_request_ids then gen_random_uuid() end)), flowstate_tests.ctx())
    from (select gen_random_uuid() as f from generate_series(1, p_size)) i
$$;
create function pg_temp.locks_held() returns bigint language sql as $$
  select count(*) from pg_locks where pid = pg_backend_pid() and locktype <> 'relation'
$$;

select pg_temp.batch(200, false) is not null as ok \gset
select pg_temp.locks_held() as without_ids \gset
select pg_temp.batch(200, true) is not null as ok \gset
select is(pg_temp.locks_held(), :'without_ids'::bigint, 'a batch with 200 request ids holds no more locks');
select is((select count(*) from flowstate.request_ids r join flowstate.flows f using (flow_id)
            where f.client_account_id = (flowstate_tests.ctx() ->> 'client_account_id')::uuid
              and f.created_at = now()), 200::bigint, 'and its 200 request ids are remembered');

select * from finish();
rollback;
