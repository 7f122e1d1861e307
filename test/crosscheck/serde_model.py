# Independent model of serde_json 1.0.149 number handling (no float_roundtrip) + zmij 1.0.21 format.
# Python floats are IEEE binary64; int->float and float('1eK') are correctly rounded (half-even).
import re, sys, json
U64_MAX = 2**64 - 1
I32_MAX = 2**31 - 1
POW10 = [float('1e%d' % k) for k in range(309)]
NUM = re.compile(r'-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?\Z')

class OutOfRange(Exception): pass

def serde_value(lex):
    """returns ('int', int) or ('f64', float) or raises OutOfRange"""
    assert NUM.match(lex), lex
    pos = not lex.startswith('-')
    s = lex if pos else lex[1:]
    m = re.match(r'([0-9]+)(?:\.([0-9]+))?(?:[eE]([+-]?)([0-9]+))?\Z', s)
    ip, fp, esign, edig = m.group(1), m.group(2), m.group(3), m.group(4)
    if fp is None and edig is None:
        v = int(ip)
        if pos and v <= U64_MAX: return ('int', v)
        if not pos and 0 < v <= 2**63: return ('int', -v)
    sig = 0; exp = 0; ovf = False
    for ch in ip:
        d = int(ch)
        if ovf: exp += 1
        elif sig * 10 + d > U64_MAX: ovf = True; exp += 1
        else: sig = sig * 10 + d
    if fp is not None:
        for ch in fp:
            d = int(ch)
            if sig * 10 + d > U64_MAX: break
            sig = sig * 10 + d; exp -= 1
    if edig is not None:
        e = 0
        for ch in edig:
            d = int(ch)
            if e * 10 + d > I32_MAX:
                if sig != 0 and esign != '-': raise OutOfRange(lex)
                return ('f64', 0.0 if pos else -0.0)
            e = e * 10 + d
        exp = exp - e if esign == '-' else exp + e
        exp = max(min(exp, I32_MAX), -I32_MAX - 1)
    f = float(sig)
    while True:
        a = abs(exp)
        if a < 309:
            if exp >= 0:
                f = f * POW10[a]
                if f == float('inf'): raise OutOfRange(lex)
            else:
                f = f / POW10[a]
            break
        if f == 0.0: break
        if exp >= 0: raise OutOfRange(lex)
        f = f / 1e308; exp += 308
    return ('f64', f if pos else -f)

def shortest(f):
    # repr gives shortest round-trip digits (closest on ties), as ryu/zmij
    r = repr(abs(f))
    m = re.match(r'([0-9]+)(?:\.([0-9]+))?(?:e([+-]?[0-9]+))?\Z', r)
    ip, fp, e = m.group(1), m.group(2) or '', int(m.group(3) or 0)
    digits = (ip + fp)
    # exponent of first digit
    E = e + len(ip) - 1
    stripped = digits.lstrip('0')
    E -= len(digits) - len(stripped)
    digits = stripped.rstrip('0') or '0'
    return digits, E

def zmij(f):
    if f == 0.0:
        return '-0.0' if str(f).startswith('-') else '0.0'
    digits, E = shortest(f)
    n = len(digits)
    if -5 <= E <= 15:
        if n - 1 <= E: out = digits + '0' * (E - (n - 1)) + '.0'
        elif E >= 0: out = digits[:E + 1] + '.' + digits[E + 1:]
        else: out = '0.' + '0' * (-E - 1) + digits
    else:
        out = digits[0] + ('.' + digits[1:] if n > 1 else '') + 'e' + ('+' if E >= 0 else '-') + str(abs(E))
    return ('-' if f < 0 else '') + out

def canonical(lex):
    k, v = serde_value(lex)
    return str(v) if k == 'int' else zmij(v)

if __name__ == '__main__':
    for lex in sys.argv[1:]:
        try:
            k, v = serde_value(lex)
            c = canonical(lex)
            cr = float(lex)
            print(json.dumps({'lexeme': lex, 'canonical': c, 'serde': v.hex() if k=='f64' else None, 'correct': cr.hex(), 'differs': k=='f64' and v != cr}))
        except OutOfRange:
            print(json.dumps({'lexeme': lex, 'error': 'out of range'}))
