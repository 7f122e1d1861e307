import json
import os, sys
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))  # repo root
sys.path.insert(0, os.path.dirname(__file__))
from serde_model import *
C = [
 ("zero", "0", "u64 zero"),
 ("minus-one", "-1", "negative integer kept as i64"),
 ("u64-max", "18446744073709551615", "u64::MAX stays an exact integer"),
 ("u64-max-plus-one", "18446744073709551616", "one past u64::MAX becomes an f64 (spec §19.5 g)"),
 ("u64-above-i64", "9223372036854775808", "2^63 fits u64, printed exactly"),
 ("i64-min", "-9223372036854775808", "i64::MIN stays an exact integer"),
 ("i64-min-minus-one", "-9223372036854775809", "below i64::MIN: -(significand as f64)"),
 ("neg-u64-max", "-18446744073709551615", "negative u64::MAX does not fit i64: float"),
 ("two-pow-53-plus-one", "9007199254740993", "integers above 2^53 are kept exactly (JSON.parse loses them)"),
 ("neg-zero", "-0", "-0 is 0 negated in i64, which serde turns into the float -0.0"),
 ("neg-zero-float", "-0.0", "negative zero float"),
 ("zero-float", "0.0", "zero float"),
 ("zero-exp", "0e0", "exponent makes it a float"),
 ("neg-zero-exp", "-0e-5", "negative zero with exponent"),
 ("one-point-zero", "1.0", "a float keeps its .0 (spec §19.5 a)"),
 ("two-point-zero", "2.0", "a float keeps its .0"),
 ("one-point-five", "1.5", "plain fraction"),
 ("exp-makes-float", "1e2", "1e2 is a float: 100.0, not 100"),
 ("hundred", "100", "integer stays integer"),
 ("twelve-e-minus-one", "12e-1", "12 / 10"),
 ("1e16", "1e16", "first power of ten printed in scientific form, with e+ (spec §19.5 b)"),
 ("1E16", "1E16", "capital E accepted"),
 ("1e+16", "1e+16", "explicit + in exponent; also the canonical form itself"),
 ("1e15", "1e15", "largest fixed-notation exponent"),
 ("1e15-fixed", "1000000000000000.0", "spec §19.5 c"),
 ("0.00001", "0.00001", "smallest fixed-notation exponent (-5) (spec §19.5 d)"),
 ("1e-5", "1e-5", "same value written with an exponent"),
 ("1e-6", "1e-6", "exponent -6 switches to scientific (spec §19.5 e)"),
 ("0.000001", "0.000001", "same value in fixed input form"),
 ("0.000123", "0.000123", "fixed notation with leading zeros"),
 ("min-subnormal", "5e-324", "smallest subnormal: 5/1e308 then /1e16"),
 ("f64-max", "1.7976931348623157e308", "largest finite f64"),
 ("1e309-rejected", "1e309", "overflow to infinity is refused"),
 ("neg-1e309-rejected", "-1e309", "negative overflow is refused too"),
 ("1e400-rejected", "1e400", "exponent past the POW10 table with a non-zero significand is refused"),
 ("huge-exp-rejected", "1e999999999999", "i32 exponent overflow with a non-zero significand is refused"),
 ("zero-huge-exp", "0e999999999999", "i32 exponent overflow with a zero significand is 0"),
 ("zero-exp-400", "0e400", "zero significand with exponent past the table is 0"),
 ("tiny-underflow", "1e-400", "underflow gives 0.0"),
 ("neg-tiny-underflow", "-1e-400", "underflow keeps the sign"),
 ("huge-neg-exp", "1e-999999999999", "i32 exponent overflow, negative: 0.0"),
 ("neg-huge-neg-exp", "-1e-99999999999", "i32 exponent overflow, negative value: -0.0"),
 ("0.1", "0.1", "spec §19.5 h"),
 ("0.3", "0.3", "3/10 in one correctly rounded division"),
 ("123.456", "123.456", "point inside the digits"),
 ("planck", "6.62607015e-34", "scientific with a fraction"),
 ("1.5e300", "1.5e300", "large exponent"),
 ("f64-max-canonical", "1.7976931348623157e+308", "canonical form of f64 max read back"),
 ("u64-plus-one-canonical", "1.8446744073709552e+19", "canonical form of spec §19.5 g read back"),
 ("long-integer", "123456789012345678901234567890", "integer past u64: digits after the 20th only bump the exponent"),
 ("long-neg-integer", "-123456789012345678901234567890", "negative long integer"),
 ("long-fraction", "0.1234567890123456789012345", "fraction digits past u64 are dropped"),
 ("pi-long", "3.14159265358979323846264338327950288", "long fraction truncated at 19-20 significant digits"),
 ("long-int-and-fraction", "1844674407370955161999.5", "integer digits past u64 are dropped, then parse_decimal still appends the fraction digit 5 (de.rs path; same f64 either way here)"),
 ("u64-boundary-fraction", "18446744073709551616.5", "the fraction digit 5 fits after the truncated integer"),
 ("u64-boundary-fraction-6", "18446744073709551616.6", "the fraction digit 6 overflows and is dropped"),
 ("many-leading-fraction-zeros", "0.000000000000000000000000000001", "leading zeros do not fill the u64; 1 / 1e30 is also a case where serde differs"),
 ("serde-differs-1e-23", "1e-23", "serde: 1 / 1e23 (1e23 is inexact) gives the f64 above the correctly rounded one"),
 ("serde-differs-3e99", "3e99", "serde: 3 * 1e99 rounds twice and lands one ulp below"),
 ("serde-differs-6.88e-23", "6.88e-23", "serde: 688 / 1e25 lands one ulp below"),
 ("serde-differs-2pow53-plus-one-float", "9007199254740993.0", "serde: u64 90071992547409930 rounds to even first, then /10"),
 ("serde-differs-half-min-subnormal", "2.4703282292062328e-324", "serde: divides twice and underflows to 0; correctly rounded is 5e-324"),
 ("serde-differs-near-min-normal", "2.2250738585072011e-308", "serde: significand past 2^53 then a division"),
 ("serde-reprint-drifts", "-6.949797048996531e-144", "serde's printed form of this f64 reads back one ulp away, so re-canonicalizing drifts: floats like this cannot survive a verify hop"),
 ("serde-reprint-drifts-2", "7.1806844939322355e+84", "another value that serde does not read back to itself (17 digits, significand past 2^53, then * 1e68)"),
 ("js-exp-threshold", "1e21", "JSON.stringify would print 1e+21 too, but 1e20 differs"),
 ("1e20", "1e20", "JSON.stringify prints 100000000000000000000, serde 1e+20"),
 ("neg-fraction", "-123.5e-2", "negative with fraction and exponent"),
 ("subnormal", "4.35e-310", "a subnormal value"),
 ("e-minus-zero", "1e-0", "exponent -0"),
 ("long-exp-digits", "1e0000000000000000000000000001", "leading zeros in the exponent"),
]
cases=[]
for cid, lex, com in C:
    c = {"id": cid, "comment": com, "lexeme": lex}
    try:
        k, v = serde_value(lex)
        c["canonical"] = canonical(lex)
        if k == 'f64':
            cr = float(lex)
            if cr != v:
                c["correctlyRounded"] = zmij(cr)
    except OutOfRange:
        c["error"] = "invalid_envelope"
    cases.append(c)
ids=[c['id'] for c in cases]; assert len(ids)==len(set(ids))
doc = {
 "description": "JSON number lexeme -> the text serde_json 1.0.149 prints after parsing it (integers kept as u64/i64; everything else through serde's non-correctly-rounded f64 parse, printed in zmij 1.0.21's format). 'error' means serde_json refuses the number. 'correctlyRounded', when present, is what a correctly rounded parse (JSON.parse, Python float()) would print instead: the cases where serde's parse really differs. Expected values were computed by an independent Python 3 model of de.rs (parse_integer/parse_long_integer/parse_decimal/parse_exponent/f64_from_parts with POW10 = the f64 literals 1e0..1e308, int->float and float ops in IEEE binary64) plus repr() for the shortest digits, and agree with spec §19.5.",
 "spec": "toq-wire-protocol.md §5.4, §19.5",
 "cases": cases,
}
json.dump(doc, open(os.path.join(ROOT, 'fixtures/toq/numbers.json'),'w'), indent=2, ensure_ascii=False)
open(os.path.join(ROOT, 'fixtures/toq/numbers.json'),'a').write('\n')
for c in cases: print(c['id'], c.get('lexeme'), c.get('canonical', c.get('error')), c.get('correctlyRounded',''))
