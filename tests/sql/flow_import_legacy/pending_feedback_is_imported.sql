-- A flow paused for human feedback keeps its pause: the context becomes the flow's pending
-- feedback (loaded with flow_load_pending_feedback), the exact texts are kept, and the
-- pause is part of the content hash.
begin;
\ir ../_helpers.sql
select plan(5);

select flowstate.flow_id_for('paused', flowstate_tests.ctx()) as flow_id \gset
select '{"legacy_id": 5, "context_json": "{\"method_name\": \"review\", \"message\": \"ok?\", \"score\": NaN}", "state_json": "{\"v\": 2}", "created_at": "2026-02-03T04:05:06.123456+00:00"}' as pending \gset
set local role flowstate_app;
select flowstate.flow_import_legacy('paused', '{1,2}', '{draft,review}', '{t1,t2}', '{"{\"v\": 1}","{\"v\": 2}"}',
                                    '{"fingerprint": "f"}', flowstate_tests.ctx(), p_pending => :'pending') as result \gset
select flowstate.flow_load_pending_feedback(:'flow_id', flowstate_tests.ctx()) as paused \gset
reset role;

select is(:'paused'::jsonb -> 'feedback', '{"method_name": "review", "message": "ok?", "score": "NaN"}'::jsonb,
          'the feedback context is the flow''s pending feedback (mapped)');
select is(:'paused'::jsonb ->> 'paused_at', '2026-02-03T04:05:06.123456Z', 'paused at the original time');
select is((select row(legacy_id, context_text, state_text, created_at_text)::text from flowstate.legacy_pending_feedback where flow_id = :'flow_id'),
          row(5::bigint, :'pending'::jsonb ->> 'context_json', '{"v": 2}', '2026-02-03T04:05:06.123456+00:00')::text,
          'the exact pending_feedback texts are kept');
select is(:'result'::jsonb -> 'mapped', '["Pending feedback: NaN/Infinity numbers became the strings \"NaN\", \"Infinity\", \"-Infinity\"."]'::jsonb,
          'the mapping of the feedback context is reported');
select isnt(:'result'::jsonb ->> 'content_hash',
            flowstate._legacy_content_hash('{1,2}', '{draft,review}', '{t1,t2}',
              array[encode(sha256('{"v": 1}'), 'hex'), encode(sha256('{"v": 2}'), 'hex')]),
            'the pause is part of the content hash');

select * from finish();
rollback;
