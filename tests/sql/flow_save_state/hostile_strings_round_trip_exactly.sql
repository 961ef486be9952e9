-- Quotes, backslashes, SQL-looking text, format specifiers, unicode, emoji, control
-- characters and very long keys in state_data (and metadata) are stored and loaded back
-- exactly (equal as jsonb), by a save and by a put.
begin;
\ir ../_helpers.sql
select plan(6);

select gen_random_uuid() as flow_id \gset
select jsonb_build_object(
  'quote''s', 'it''s "quoted"',
  'back\slash', E'C:\\temp\\new\\table',
  'sql', $s$'); drop table flowstate.flows; --$s$,
  'dollar', '$$ select 1 $$',
  'format', '%s %L %I %%',
  '{a,b}', '{"not": "json"}',
  'unicode', 'Ünïcödé — 中文 — العربية — עברית',
  '🚀', '👩‍👩‍👧‍👦 🏳️‍🌈',
  'control', E'tab\there\nnewline\rreturn\u0001\u001f',
  'zero width', E'a\u200bb\ufeffc',
  'empty', '',
  '', 'empty key',
  repeat('k', 10000), repeat('v', 100000),
  'nested', jsonb_build_object('null', null, 'list', jsonb_build_array('''', '"', '\', null, 1e300, -0.0000001)))
  as hostile \gset

set local role flowstate_app;
select ok(flowstate.flow_save_state(:'flow_id', flowstate_tests.doc(:'flow_id', p_state_data => :'hostile'), null,
                                    flowstate_tests.ctx()) is not null, 'a hostile state_data is accepted');
select is(flowstate.flow_load_state(:'flow_id', flowstate_tests.ctx()) -> 'state_data', :'hostile'::jsonb,
          'it loads back exactly');

select ok(flowstate.flow_save_state(:'flow_id', flowstate_tests.doc(:'flow_id', p_state_data => jsonb_build_object('wrap', :'hostile'::jsonb))
                                      || jsonb_build_object('metadata', :'hostile'::jsonb - repeat('k', 10000)), 1,
                                    flowstate_tests.ctx()) is not null, 'nested under a key, and in metadata, too');
select is(flowstate.flow_load_state(:'flow_id', flowstate_tests.ctx()) -> 'state_data' -> 'wrap', :'hostile'::jsonb,
          'it loads back exactly');
select is((flowstate.flow_load_state(:'flow_id', flowstate_tests.ctx()) -> 'metadata') - '{client_account_id,engagement_id,user_id}'::text[],
          :'hostile'::jsonb - repeat('k', 10000), 'metadata loads back exactly');

select flowstate.flow_put_state(:'flow_id', flowstate_tests.doc(:'flow_id', p_state_data => :'hostile'),
                                $s$'); drop table x; -- 🚀$s$, flowstate_tests.ctx()) is not null as put \gset
select is(flowstate.flow_load_state(:'flow_id', flowstate_tests.ctx()) -> 'state_data', :'hostile'::jsonb,
          'a put (with a hostile label) round-trips as well');

select * from finish();
rollback;
