import json, hashlib, re
import os, sys
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))  # repo root
sys.path.insert(0, os.path.dirname(__file__))
from serde_model import canonical as num_canonical

spec = open(os.environ.get('TOQ_WIRE_SPEC', os.path.join(ROOT, '..', 'shared', 'spec', 'toq-wire-protocol.md')), encoding='utf-8').read()
blocks = [l for l in spec.split('\n') if l.startswith('{"')]
E1_CANON = next(b for b in blocks if b.startswith('{"body":{"big"'))
E1_WIRE = next(b for b in blocks if b.startswith('{"version":"0.1","id":"6f1c2a4e'))
E2_CANON = next(b for b in blocks if b.startswith('{"body":{"a":1.0')).replace('<U+2028 raw>', '\u2028')
assert hashlib.sha256(E1_CANON.encode()).hexdigest() == 'd0961feb6985b263764167d7e278472a9f9956b79ee2de04a0641c66c9c7313a'
assert hashlib.sha256(E2_CANON.encode()).hexdigest() == '55d7c7f712250fd2d4ca0d2835bcea7cdaf3f14b8d1f007f968bc629ff5786bb'
assert len(E1_CANON.encode()) == 389 and len(E2_CANON.encode()) == 321 and len(E1_WIRE.encode()) == 500

class Num:
    def __init__(self, lex): self.lex = lex

def ref_canonical(text, drop=()):
    # Independent reference: Python's json parser with number lexemes kept, code point sort
    # (Python compares str by code point), json.dumps(ensure_ascii=False) for strings.
    v = json.loads(text, parse_float=Num, parse_int=Num, parse_constant=lambda s: (_ for _ in ()).throw(ValueError(s)),
                   object_pairs_hook=lambda pairs: dict(pairs))
    if drop:
        for k in drop: v.pop(k, None)
    def w(x):
        if x is None: return 'null'
        if x is True: return 'true'
        if x is False: return 'false'
        if isinstance(x, Num): return num_canonical(x.lex)
        if isinstance(x, str): return json.dumps(x, ensure_ascii=False)
        if isinstance(x, list): return '[' + ','.join(w(e) for e in x) + ']'
        if isinstance(x, dict): return '{' + ','.join(json.dumps(k, ensure_ascii=False) + ':' + w(x[k]) for k in sorted(x)) + '}'
        raise TypeError(x)
    return w(v)

E2_INPUT = '{\n  "version": "0.1", "type": "message.send", "sequence": 2,\n  "id": "0b9e6a52-3c1d-4f8e-a7b6-c5d4e3f2a1b0",\n  "body": {"i": "\\u2028", "h": 0.1, "g": 18446744073709551616, "f": -0, "e": 0.000001, "d": 1e-5, "c": 1e15, "b": 1E16, "a": 1.0},\n  "to": ["toq://localhost/bob"], "from": "toq://localhost:9010/alice", "timestamp": "2026-03-08T01:02:03Z"\n}\n'

deep = lambda n: '[' * n + ']' * n
deep_obj = lambda n: '{"a":' * (n - 1) + '{}' + '}' * (n - 1)

OK = [
 ("key-order-trap", '{"\U0001F600":2,"\uFF61":1}', "spec §19.7: U+FF61 sorts before U+1F600 by code point (JS default sort disagrees)"),
 ("key-order-trap-escaped", '{"\\ud83d\\ude00":2,"\\uff61":1}', "same keys written as escapes"),
 ("key-order-ascii", '{"b":1,"a":2,"A":3,"_":4,"B":5}', "code point order: A B _ a b"),
 ("key-order-prefix", '{"ab":1,"a":2,"":3,"a\\u0000":4}', "a key sorts before its extensions; the empty key first"),
 ("key-order-mixed-planes", '{"\\u00e9":1,"z":2,"\\uffff":3,"\\ud800\\udc00":4,"\\u0800":5}', "BMP above the surrogates, then astral"),
 ("nested-sorted", '[{"b":{"d":1,"c":2},"a":[{"y":1,"x":2}]}]', "sorting applies at every level, array order kept"),
 ("whitespace-removed", ' \t\r\n{ "a" : [ 1 , 2 , { } , [ ] ] , "b" :\n"x" }\r\n\t ', "only space, tab, CR, LF are whitespace; none is printed"),
 ("escapes", '"\\u0001\\u001F\\u007f\\/\\b\\f\\n\\r\\t\\"\\\\ \\u0041"', "serde escapes: lowercase \\u00xx for controls, short forms, DEL and / raw"),
 ("escape-raw-passthrough", '"a/b\u007fc\u2028d\u2029e"', "/ DEL U+2028 U+2029 written raw stay raw"),
 ("unicode-escape-decoded", '"\\u00e9\\u00E9\\ud83d\\ude00\\uD83D\\uDE00"', "\\u escapes (either case) decode to raw UTF-8"),
 ("u2028-escaped-in", '"\\u2028"', "U+2028 is printed raw (spec §20.8)"),
 ("nulls-kept", '{"a":null,"b":[null,{"c":null}]}', "null inside values is kept (spec §5.2)"),
 ("dup-key-nested-last-wins", '{"a":{"k":1,"k":2}}', "duplicate keys below the top level: last wins"),
 ("dup-key-top-allowed-by-default", '{"k":1,"k":[2]}', "without the option, a top-level duplicate is accepted and the last wins"),
 ("proto-key", '{"__proto__":{"x":1},"constructor":2,"toString":3}', "__proto__ is an ordinary key"),
 ("numbers-in-context", '[1.0,-0,1E16,18446744073709551616,1e-23,100,-7,0.5e1]', "numbers per numbers.json"),
 ("empty-object", '{}', "empty object"),
 ("empty-array", '[]', "empty array"),
 ("empty-string", '""', "empty string"),
 ("top-level-number", ' 12 ', "a scalar top-level value with whitespace around"),
 ("top-level-true", 'true', "literal"),
 ("depth-127-arrays", deep(127), "127 nested arrays: the deepest serde_json accepts (remaining_depth 128, fails at 0)"),
 ("depth-127-objects", deep_obj(127), "127 nested objects"),
 ("astral-raw", '"\U0001F600\u00e9"', "raw non-ASCII is kept"),
]
BAD = [
 ("dup-top-level-key", '{"a":1,"b":2,"a":1}', {"rejectDuplicateTopLevelKeys": True}, "duplicate top-level key (serde derive refuses duplicate fields)"),
 ("dup-top-level-key-null", '{"reply_to":null,"reply_to":null}', {"rejectDuplicateTopLevelKeys": True}, "duplicate top-level key, even with equal null values"),
 ("lone-high-surrogate", '"\\ud800"', None, "lone leading surrogate escape"),
 ("lone-low-surrogate", '"\\udc00"', None, "lone trailing surrogate escape"),
 ("high-then-char", '"\\ud800x"', None, "leading surrogate followed by a raw character"),
 ("high-then-other-escape", '"\\ud800\\n"', None, "leading surrogate followed by a non-\\u escape"),
 ("high-then-high", '"\\ud800\\ud800"', None, "leading surrogate followed by another leading surrogate"),
 ("high-then-bmp", '"\\ud800\\u0041"', None, "leading surrogate followed by a non-surrogate escape"),
 ("low-then-high", '"\\udc00\\ud800"', None, "surrogates in the wrong order"),
 ("surrogate-in-key", '{"\\udfff":1}', None, "lone surrogate in an object key"),
 ("raw-control-char", '"a\u0001b"', None, "raw U+0001 inside a string"),
 ("raw-tab", '"a\tb"', None, "raw tab inside a string"),
 ("raw-newline", '"a\nb"', None, "raw line feed inside a string"),
 ("trailing-garbage", '{} x', None, "only whitespace may follow the value"),
 ("two-values", '1 2', None, "two top-level values"),
 ("extra-close", '{}}', None, "extra closing brace"),
 ("depth-128-arrays", deep(128), None, "128 nested arrays exceed serde_json's recursion limit"),
 ("depth-128-objects", deep_obj(128), None, "128 nested objects exceed serde_json's recursion limit"),
 ("leading-zero", '01', None, "leading zero"),
 ("neg-leading-zero", '[-01]', None, "leading zero after minus"),
 ("double-zero", '00', None, "two zeros"),
 ("plus-sign", '+1', None, "leading plus"),
 ("bare-fraction", '.5', None, "no integer part"),
 ("trailing-dot", '1.', None, "no digit after the point"),
 ("dot-exp", '1.e5', None, "no digit after the point"),
 ("exp-no-digits", '1e', None, "no exponent digits"),
 ("exp-sign-no-digits", '[1e+]', None, "no exponent digits after the sign"),
 ("lone-minus", '-', None, "minus alone"),
 ("double-minus", '--1', None, "two minus signs"),
 ("nan", 'NaN', None, "NaN is not JSON"),
 ("infinity", 'Infinity', None, "Infinity is not JSON"),
 ("neg-infinity", '-Infinity', None, "-Infinity is not JSON"),
 ("hex-number", '0x10', None, "hex is not JSON"),
 ("single-quotes", "'a'", None, "single-quoted string"),
 ("single-quoted-key", "{'a':1}", None, "single-quoted key"),
 ("unquoted-key", '{a:1}', None, "unquoted key"),
 ("trailing-comma-array", '[1,]', None, "trailing comma in an array"),
 ("trailing-comma-object", '{"a":1,}', None, "trailing comma in an object"),
 ("missing-comma", '[1 2]', None, "missing comma"),
 ("missing-colon", '{"a" 1}', None, "missing colon"),
 ("empty-input", '', None, "no value"),
 ("whitespace-only", ' \n', None, "no value"),
 ("nbsp-whitespace", '\u00a0{}', None, "U+00A0 is not JSON whitespace"),
 ("form-feed-whitespace", '\f{}', None, "form feed is not JSON whitespace"),
 ("bom-in-string", '\ufeff{}', None, "a byte order mark is not whitespace"),
 ("invalid-escape", '"\\x41"', None, "unknown escape"),
 ("short-unicode-escape", '"\\u12"', None, "\\u needs 4 hex digits"),
 ("bad-hex-escape", '"\\u12g4"', None, "non-hex digit in \\u escape"),
 ("capital-u-escape", '"\\U0041"', None, "\\U is not an escape"),
 ("unterminated-string", '"abc', None, "end of input in a string"),
 ("unterminated-array", '[1,2', None, "end of input in an array"),
 ("unterminated-object", '{"a":1', None, "end of input in an object"),
 ("truncated-literal", 'tru', None, "truncated literal"),
 ("capital-literal", 'True', None, "literals are lower case"),
 ("comment", '/* c */ {}', None, "comments are not JSON"),
 ("number-overflow-in-body", '{"body":{"x":1e309}}', None, "serde_json refuses a number that overflows f64 (our parser keeps the lexeme; canonicalJson refuses it)"),
]
BAD_HEX = [
 ("invalid-utf8-ff", '22ff22', "0xFF is never valid UTF-8"),
 ("invalid-utf8-overlong", '22c0af22', "overlong encoding of /"),
 ("invalid-utf8-truncated", '22e28222', "truncated 3-byte sequence"),
 ("invalid-utf8-encoded-surrogate", '22eda08022', "a surrogate encoded as UTF-8 (CESU-8) is invalid"),
 ("invalid-utf8-continuation", '2280', "a stray continuation byte"),
 ("bom-bytes", 'efbbbf7b7d', "a UTF-8 byte order mark is not stripped: serde_json refuses it"),
]

cases = []
for cid, text, com in OK:
    cases.append({"id": cid, "comment": com, "input": text, "canonical": ref_canonical(text)})
# E1: the spec's wire text, signature removed before canonicalization (spec §5.3)
e1 = ref_canonical(E1_WIRE, drop=("signature",))
assert e1 == E1_CANON, (e1, E1_CANON)
cases.append({"id": "e1-envelope", "comment": "spec §19.4: the E1 wire text, signature member dropped, gives the E1 canonical bytes", "input": E1_WIRE,
              "dropTopLevelKeys": ["signature"], "canonical": E1_CANON,
              "sha256": "d0961feb6985b263764167d7e278472a9f9956b79ee2de04a0641c66c9c7313a"})
e2 = ref_canonical(E2_INPUT)
assert e2 == E2_CANON, (e2, E2_CANON)
cases.append({"id": "e2-envelope", "comment": "spec §19.5: E2 written with other number lexemes, keys shuffled and whitespace, gives the E2 canonical bytes", "input": E2_INPUT,
              "canonical": E2_CANON, "sha256": "55d7c7f712250fd2d4ca0d2835bcea7cdaf3f14b8d1f007f968bc629ff5786bb"})
cases.append({"id": "e1-canonical-idempotent", "comment": "the E1 canonical text canonicalizes to itself", "input": E1_CANON, "canonical": E1_CANON,
              "sha256": "d0961feb6985b263764167d7e278472a9f9956b79ee2de04a0641c66c9c7313a"})
for cid, text, opts, reason in BAD:
    c = {"id": cid, "comment": reason, "input": text}
    if opts: c["options"] = opts
    c["error"] = "invalid_envelope"
    cases.append(c)
for cid, hx, reason in BAD_HEX:
    cases.append({"id": cid, "comment": reason, "inputHex": hx, "error": "invalid_envelope"})
# a raw lone surrogate can exist only in a JS/UTF-16 string, never in UTF-8 bytes
cases.append({"id": "raw-lone-surrogate-js-string", "comment": "a raw (unescaped) lone surrogate in a UTF-16 input string; UTF-8 readers see the invalid-utf8-encoded-surrogate case instead", "input": '"a\ud800b"', "error": "invalid_envelope"})
ids = [c["id"] for c in cases]; assert len(ids) == len(set(ids))
doc = {
  "description": "JSON text in -> canonical text out (wire spec §5.3: no whitespace, keys by code point, serde_json string escapes, §5.4 numbers), or a text serde_json 1.0.149 refuses ('error'). 'input' is a JSON text given as a string; 'inputHex' gives raw bytes (for invalid UTF-8). 'options' are parseJson options; 'dropTopLevelKeys' are removed from the parsed top-level object before printing (the signature, spec §5.3). 'sha256' is the SHA-256 of the canonical UTF-8 bytes as given in the spec. Expected canonical texts come from an independent Python 3 reference (json module with lexeme-keeping number hooks, sorted() on str = code point order, json.dumps(ensure_ascii=False), numbers via the Python model of numbers.json); E1/E2 also equal the spec's bytes and hashes.",
  "spec": "toq-wire-protocol.md §5.2, §5.3, §5.4, §19.4, §19.5, §19.7, §20",
  "cases": cases,
}
with open(os.path.join(ROOT, 'fixtures/toq/canonical-json.json'), 'w') as f:
    json.dump(doc, f, indent=2, ensure_ascii=True)
    f.write('\n')
print(len(cases))
