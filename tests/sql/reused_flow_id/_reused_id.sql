-- Setup of the reused_flow_id tests (\ir after ../_helpers.sql): a flow id that lives twice.
-- Tenant A's flow lives a full life: imported from legacy CrewAI rows while paused for
-- feedback, saved, checkpointed, quarantined and reset by flow_handle_corrupted, saved again,
-- every state holding an A secret. Then a DBA deletes it with a direct DELETE (audited as
-- admin_delete) and tenant B (p_b_tenant; the same tenant when 1) creates a new flow with
-- the same id. A pgTAP file is one transaction, so both lives share now(): every one of
-- these tests is also the same-transaction case. With p_backdate, A's records are moved an
-- hour back first (triggers off for that statement), as when A lived before B's transaction.
-- B's context, and a document of B's flow (of the open type crewai, as A's was).
create function flowstate_tests.ctx_b(p_b_tenant int default 2)
returns jsonb language sql immutable as $$
  select flowstate_tests.ctx(p_b_tenant, 2)
$$;
create function flowstate_tests.b_doc(p_flow_id uuid, p_state_data jsonb)
returns jsonb language sql immutable as $$
  select jsonb_build_object('flow_id', p_flow_id, 'flow_type', 'crewai', 'current_phase', 'b_start',
                            'phases_completed', '[]'::jsonb, 'state_data', p_state_data)
$$;

create function flowstate_tests.reuse_flow_id(
  p_b_tenant int default 2, p_backdate boolean default true,
  out flow_id uuid, out a_checkpoint uuid, out a_quarantine uuid, out b_document jsonb
)
language plpgsql as $$
declare
  v_a constant jsonb := flowstate_tests.ctx(1, 1);
begin
  flow_id := gen_random_uuid();
  -- A canonical UUID is its own flow id, for any tenant (flowstate.flow_id_for).
  perform flowstate.flow_import_legacy(flow_id::text, '{1,2}', '{start,work}', '{t1,t2}',
            '{"{\"secret\": \"A legacy 1\"}","{\"secret\": \"A legacy 2\"}"}', '{"fingerprint": "a"}', v_a,
            p_pending => '{"legacy_id": 3, "context_json": "{\"message\": \"A asks\"}", "state_json": "{}", "created_at": "t3"}');
  perform flowstate.flow_put_state(flow_id, jsonb_build_object('flow_id', flow_id, 'current_phase', 'work',
            'phases_completed', '["start"]'::jsonb, 'state_data', '{"secret": "A saved"}'::jsonb), 'a_method', v_a);
  a_checkpoint := flowstate.flow_create_checkpoint(flow_id, null, 'A checkpoint', v_a);
  a_quarantine := flowstate.flow_handle_corrupted(flow_id, v_a) ->> 'quarantine_id';
  perform flowstate.flow_put_state(flow_id, jsonb_build_object('flow_id', flow_id, 'current_phase', 'again',
            'phases_completed', '["start"]'::jsonb, 'state_data', '{"secret": "A after reset"}'::jsonb), 'a_method', v_a);
  if p_backdate then
    set local session_replication_role = replica;
    update flowstate.audit_log a set logged_at = a.logged_at - interval '1 hour' where a.flow_id = reuse_flow_id.flow_id;
    update flowstate.checkpoints c set created_at = c.created_at - interval '1 hour' where c.flow_id = reuse_flow_id.flow_id;
    update flowstate.quarantine q set archived_at = q.archived_at - interval '1 hour' where q.flow_id = reuse_flow_id.flow_id;
    set local session_replication_role = origin;
  end if;

  set local role flowstate_admin;
  delete from flowstate.flows f where f.flow_id = reuse_flow_id.flow_id;
  reset role;

  b_document := flowstate.flow_save_state(flow_id, flowstate_tests.b_doc(flow_id, '{"mine": "B"}'), null,
                                          flowstate_tests.ctx_b(p_b_tenant));
end;
$$;

-- Everything a refused call must leave as it was: the id's flow row, and every record any
-- life of the id left behind.
create function flowstate_tests.everything_of(p_flow_id uuid)
returns text language sql stable as $$
  select md5(concat_ws('|',
    (select to_jsonb(f)::text from flowstate.flows f where f.flow_id = p_flow_id),
    (select string_agg(to_jsonb(a)::text, ',' order by a.audit_id) from flowstate.audit_log a where a.flow_id = p_flow_id),
    (select string_agg(to_jsonb(c)::text, ',' order by c.checkpoint_id) from flowstate.checkpoints c where c.flow_id = p_flow_id),
    (select string_agg(to_jsonb(q)::text, ',' order by q.quarantine_id) from flowstate.quarantine q where q.flow_id = p_flow_id),
    (select string_agg(to_jsonb(p)::text, ',') from flowstate.pending_feedback p where p.flow_id = p_flow_id),
    (select string_agg(to_jsonb(l)::text, ',') from flowstate.migration_ledger l where l.flow_id = p_flow_id)))
$$;

grant execute on all functions in schema flowstate_tests to public;
