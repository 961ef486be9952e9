-- flowstate._legacy_json, the one place that maps legacy JSON text to jsonb: NaN and the
-- infinities become strings, \u0000 and lone surrogates U+FFFD, a non-object is wrapped;
-- everything else (strings that merely contain those words, escaped backslashes, valid
-- surrogate pairs) is left as it was.
begin;
\ir ../_helpers.sql
select plan(11);

select is((select row(state, notes)::text from flowstate._legacy_json('{"a": 1.50, "b": [true, null]}')),
          row('{"a": 1.50, "b": [true, null]}'::jsonb, '{}'::text[])::text,
          'JSON that jsonb takes is taken as is, with no notes');
select is((flowstate._legacy_json('{"a": NaN, "b": [Infinity, -Infinity, -1]}')).state,
          '{"a": "NaN", "b": ["Infinity", "-Infinity", -1]}'::jsonb, 'NaN, Infinity and -Infinity become strings');
select is((flowstate._legacy_json('{"NaN": "NaN Infinity -Infinity", "x": NaN}')).state,
          '{"NaN": "NaN Infinity -Infinity", "x": "NaN"}'::jsonb, 'the words inside strings are untouched');
select is((select row(state, notes)::text from flowstate._legacy_json('{"a": "x\u0000y"}')),
          row(jsonb_build_object('a', 'x' || chr(65533) || 'y'), array['\u0000 characters became U+FFFD.'])::text,
          '\u0000 becomes U+FFFD, noted');
select is((flowstate._legacy_json('{"hi": "\ud800", "lo": "\uDC00", "hi-then-char": "\ud83dA"}')).state,
          jsonb_build_object('hi', chr(65533), 'lo', chr(65533), 'hi-then-char', chr(65533) || 'A'),
          'lone high and low surrogates (any case) become U+FFFD');
select is((flowstate._legacy_json('{"pair": "\ud83d\ude00", "x": NaN}')).state, '{"pair": "😀", "x": "NaN"}'::jsonb,
          'a valid surrogate pair is kept');
select is((flowstate._legacy_json('{"escaped": "\\u0000 \\ud800", "x": NaN}')).state, '{"escaped": "\\u0000 \\ud800", "x": "NaN"}'::jsonb,
          'an escaped backslash before u0000 is text, not an escape');
select is((select row(state, notes)::text from flowstate._legacy_json('[1, NaN]')), row('{"legacy_value": [1, "NaN"]}'::jsonb,
          array['NaN/Infinity numbers became the strings "NaN", "Infinity", "-Infinity".', 'The state was a JSON array, kept as {"legacy_value": ...}.'])::text,
          'a state that is not an object is wrapped, noted');
select is((flowstate._legacy_json('"text"', false)).state, '"text"'::jsonb, 'p_object => false keeps scalars as they are');
select throws_ok($$ select flowstate._legacy_json('{"a": nan}') $$, '22P02', null, 'what is not JSON even so raises 22P02');
select is(flowstate._legacy_json_error('{"a": '), 'not JSON: The input string ended unexpectedly.', '_legacy_json_error says why');

select * from finish();
rollback;
