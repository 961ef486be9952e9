-- flowstate.flow_checkpoints
-- Every checkpoint of a flow, newest first, one page at a time (a document lists only the
-- newest checkpoints_in_document): {"checkpoints": [{id, phase, label, flow_version,
-- created_at}, ...], "next": the id to pass as p_after for the next page, null after the
-- last}. Keyset paging: each page costs the same however deep it is. NULL for a missing flow
-- or another tenant's, like flow_load_state.
-- Raises FS001 (context; p_limit not between 1 and max_batch_items; p_after not a checkpoint
-- of this flow).
create or replace function flowstate.flow_checkpoints(
  p_flow_id uuid, p_context jsonb, p_after uuid default null, p_limit integer default 50
)
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  v_generation bigint;
  v_after flowstate.checkpoints;
  v_page jsonb[];
  v_error text;
  v_checked boolean;
begin
  v_checked := flowstate._context(p_context);
  v_generation := flowstate._generation(p_flow_id);
  if v_generation is null then
    return null;
  end if;
  if p_limit is null or p_limit < 1 then
    v_error := format('p_limit must be at least 1, not %s.', coalesce(p_limit::text, 'NULL'));
  elsif p_after is not null then
    select * into v_after from flowstate.checkpoints c
     where c.flow_id = p_flow_id and c.checkpoint_id = p_after and c.generation = v_generation;
    if v_after.checkpoint_id is null then
      v_error := format('p_after (%s) is not a checkpoint of this flow.', p_after);
    end if;
  end if;
  if v_error is not null then
    raise exception 'flow %: %', p_flow_id, v_error
      using errcode = 'FS001', detail = jsonb_build_object('flow_id', p_flow_id, 'errors', jsonb_build_array(v_error))::text;
  end if;
  v_checked := flowstate._check_size('p_limit', p_limit, 'max_batch_items', p_flow_id);

  -- created_at <= on its own as well, so the index scan starts at the page, not at the newest.
  -- Only this flow's generation: an earlier flow with the same id keeps its own checkpoints.
  select array_agg(flowstate._checkpoint_entry(n.c) order by (n.c).created_at desc, (n.c).checkpoint_id desc)
    into v_page
    from (select c from flowstate.checkpoints c
           where c.flow_id = p_flow_id and c.generation = v_generation
             and (v_after.checkpoint_id is null
                  or (c.created_at <= v_after.created_at
                      and (c.created_at, c.checkpoint_id) < (v_after.created_at, v_after.checkpoint_id)))
           order by c.created_at desc, c.checkpoint_id desc
           limit p_limit + 1) n;
  return jsonb_build_object('checkpoints', to_jsonb(coalesce(v_page[1:p_limit], '{}')),
                            'next', case when cardinality(v_page) > p_limit then v_page[p_limit] -> 'id' end);
end;
$$;

comment on function flowstate.flow_checkpoints(uuid, jsonb, uuid, integer) is
'Every checkpoint of a flow, newest first, a page of at most p_limit (default 50, at most max_batch_items) at a time: {"checkpoints": [{id, phase, label, flow_version, created_at}], "next": pass it as p_after for the next page, null after the last}. A document''s checkpoints list holds only the newest checkpoints_in_document; this lists them all. NULL for a missing flow or another tenant''s. Errors: FS001 invalid context, p_limit out of range, or p_after not a checkpoint of this flow.';
